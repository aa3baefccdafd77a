# Shared by the scripts: Go on the PATH, a UTF-8 locale, a display.
export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"
export LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8
if ! locale -a 2>/dev/null | grep -qi '^en_US.utf8$'; then export LANG=C.UTF-8 LC_ALL=C.UTF-8; fi

VERSION=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS="-X github.com/nhs-cpis/kiosk/app/build.Version=0.1.0+$VERSION -X github.com/nhs-cpis/kiosk/app/build.Commit=$COMMIT"

build_kiosk() {
  mkdir -p bin
  go build -ldflags "$LDFLAGS" -o bin/cpis-kiosk .
}

# start_xvfb starts a virtual display when there is none and sets DISPLAY.
start_xvfb() {
  if [ -n "${DISPLAY:-}" ] && xdpyinfo >/dev/null 2>&1; then return; fi
  local n
  for n in 99 98 97 96 95; do
    [ -e /tmp/.X11-unix/X$n ] && continue
    Xvfb :$n -screen 0 ${XVFB_SIZE:-1280x800x24} -nolisten tcp >/tmp/xvfb-$n.log 2>&1 &
    XVFB_PID=$!
    export DISPLAY=:$n
    for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && return; sleep 0.1; done
  done
  echo "could not start Xvfb" >&2; return 1
}

# start_pcscd starts the PC/SC daemon when it is not running. vpcd (the
# virtual reader) must be installed first: pcscd reads its readers at start.
start_pcscd() {
  if pidof pcscd >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "pcscd is not running; start it as root (systemctl start pcscd, or pcscd)" >&2; return 1
  fi
  pcscd || { echo "could not start pcscd" >&2; return 1; }
  for _ in $(seq 50); do [ -S /run/pcscd/pcscd.comm ] && return; sleep 0.1; done
  echo "pcscd started but its socket did not appear" >&2; return 1
}

# The demo nurse's virtual card (see `cpis-kiosk vcard --list`).
DEMO_CARD=555000000010
DEMO_PASSCODE=1234
