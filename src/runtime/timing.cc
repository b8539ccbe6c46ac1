// GPU timestamps (Event) recorded in the stream.
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

void Device::releaseQuery(uint32_t query) { impl_->freeQueries.push_back(query); }

Result<Event> Device::recordEvent() {
  Impl& d = *impl_;
  if (d.queryPool == VK_NULL_HANDLE)
    return Status::error("device '" + d.info.name + "' has no timestamps on its compute queue");
  if (d.freeQueries.empty())
    return Status::error("too many live events (" + std::to_string(d.queryPending.size()) + ")");
  TVK_RETURN_IF_ERROR(d.begin());
  uint32_t q = d.freeQueries.back();
  d.freeQueries.pop_back();
  vkCmdResetQueryPool(d.cmd, d.queryPool, q, 1);
  vkCmdWriteTimestamp(d.cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, d.queryPool, q);
  d.queryPending[q] = true;
  Event e;
  e.device_ = this;
  e.query_ = q;
  return e;
}

Result<double> Device::elapsedMs(const Event& start, const Event& end) {
  Impl& d = *impl_;
  if (start.device_ != this || end.device_ != this)
    return Status::error("elapsedMs: events were not recorded on this device");
  if (d.queryPending[start.query_] || d.queryPending[end.query_])
    TVK_RETURN_IF_ERROR(d.synchronize());
  uint64_t t[2];
  TVK_VK(vkGetQueryPoolResults(d.device, d.queryPool, start.query_, 1, sizeof(uint64_t), &t[0],
                               sizeof(uint64_t),
                               VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
  TVK_VK(vkGetQueryPoolResults(d.device, d.queryPool, end.query_, 1, sizeof(uint64_t), &t[1],
                               sizeof(uint64_t),
                               VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
  uint32_t bits = d.facts.timestampValidBits;
  uint64_t mask = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
  uint64_t ticks = ((t[1] & mask) - (t[0] & mask)) & mask;
  return static_cast<double>(ticks) * d.facts.props.limits.timestampPeriod / 1e6;
}

}  // namespace tvk
