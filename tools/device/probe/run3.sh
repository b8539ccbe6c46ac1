set -uo pipefail
cd "$(dirname "$0")/../../.."
/opt/gcc/bin/g++ --version | head -1; /opt/gcc/bin/g++ -print-file-name=libstdc++.so; /opt/gcc/bin/g++ -print-file-name=libstdc++.a
ls /opt/gcc/lib64 2>/dev/null | grep stdc; /opt/gcc/bin/g++ -dumpspecs | grep -n -B1 -A2 "static-libstdc" | head
ls -la /lib/x86_64-linux-gnu/libstdc++.so.6*
python3 -c "import torch; print([l.split()[-1] for l in open('/proc/self/maps') if 'libstdc++' in l][:1])"
export TVK_SKIP_BUILD=1
source tools/device/prepare.sh x
export TVK_VALIDATION=0 TVK_WARN_FALLBACK=0
timeout 200 python3 tools/device/probe/ln05.py tvk
timeout 100 python3 tools/device/probe/ln05.py cuda
