// GPU timestamps (Event) recorded in the stream.
#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/device_impl.h"
#include "runtime/vk_check.h"

namespace tvk {

Event::~Event() {
  if (device_) device_->releaseQuery(query_);
}

Event::Event(Event&& other) noexcept : device_(other.device_), query_(other.query_) {
  other.device_ = nullptr;
}

Event& Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    if (device_) device_->releaseQuery(query_);
    device_ = other.device_;
    query_ = other.query_;
    other.device_ = nullptr;
  }
  return *this;
}

void Device::releaseQuery(uint32_t query) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& d = *impl_;
  if (!d.hostResetQueries) {
    d.freeQueries.push_back(query);
    return;
  }
  d.releasedQueries.push_back(query);
  if (d.querySerial[query] <= d.clock.completed) d.recycleQueries();
}

// A query may be reset from the host once the commands that wrote it completed
// (vkResetQueryPool, Vulkan 1.2 "Queries": no submitted command may still refer to it).
void Device::Impl::recycleQueries() {
  size_t kept = 0;
  for (uint32_t q : releasedQueries) {
    if (querySerial[q] > clock.completed) {
      releasedQueries[kept++] = q;
      continue;
    }
    hostResetQueries(device, queryPool, q, 1);
    queryClean[q] = 1;
    freeQueries.push_back(q);
  }
  releasedQueries.resize(kept);
}

Result<Event> Device::recordEvent() {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mu);
  if (d.queryPool == VK_NULL_HANDLE)
    return Status::error("device '" + d.info.name + "' has no timestamps on its compute queue");
  if (d.freeQueries.empty() && !d.releasedQueries.empty()) {
    d.retireFinished();
    d.recycleQueries();
  }
  // Released queries whose batch still runs are reset in the stream (ordered after it).
  std::vector<uint32_t>& from = d.freeQueries.empty() ? d.releasedQueries : d.freeQueries;
  if (from.empty())
    return Status::error("too many live events (" + std::to_string(d.querySerial.size()) + ")");
  TVK_RETURN_IF_ERROR(d.begin());
  uint32_t q = from.back();
  from.pop_back();
  // A reset command right before the timestamp would lie inside the span it times: on NVIDIA's
  // driver it added about 5 us to each do_bench sample. Queries reset on the host need none.
  if (!d.queryClean[q]) vkCmdResetQueryPool(d.current->cmd, d.queryPool, q, 1);
  d.queryClean[q] = 0;
  vkCmdWriteTimestamp(d.current->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, d.queryPool, q);
  d.querySerial[q] = d.current->serial;
  Event e;
  e.device_ = this;
  e.query_ = q;
  return e;
}

Result<double> Device::elapsedMs(const Event& start, const Event& end) {
  Impl& d = *impl_;
  if (start.device_ != this || end.device_ != this)
    return Status::error("elapsedMs: events were not recorded on this device");
  std::unique_lock<std::mutex> lock(d.mu);
  TVK_RETURN_IF_ERROR(d.checkAlive());
  uint64_t serial = std::max(d.querySerial[start.query_], d.querySerial[end.query_]);
  if (d.current && d.current->serial <= serial) TVK_RETURN_IF_ERROR(d.flush());
  TVK_RETURN_IF_ERROR(d.waitFor(serial, lock));
  uint64_t t[2];
  TVK_RETURN_IF_ERROR(d.vk(vkGetQueryPoolResults(d.device, d.queryPool, start.query_, 1,
                                                 sizeof(uint64_t), &t[0], sizeof(uint64_t),
                                                 VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
                           "vkGetQueryPoolResults"));
  TVK_RETURN_IF_ERROR(d.vk(vkGetQueryPoolResults(d.device, d.queryPool, end.query_, 1,
                                                 sizeof(uint64_t), &t[1], sizeof(uint64_t),
                                                 VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
                           "vkGetQueryPoolResults"));
  uint32_t bits = d.facts.timestampValidBits;
  uint64_t mask = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
  uint64_t ticks = ((t[1] & mask) - (t[0] & mask)) & mask;
  return static_cast<double>(ticks) * d.facts.props.limits.timestampPeriod / 1e6;
}

}  // namespace tvk
