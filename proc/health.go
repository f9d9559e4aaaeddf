package proc

import "strconv"

// health is `dinit check`'s verdict: healthy when dinit runs and is not
// shutting down, every service was started, every service's run runs (or
// disabled itself with 115), and every service that declares readiness
// said it is ready. Otherwise why says which service is not, in one line.
func (s *Supervisor) health() (ok bool, why string) {
	if s.stopping() {
		return false, "shutting down: " + s.stopReason
	}
	for _, svc := range s.services {
		if why := svc.unhealthy(); why != "" {
			return false, why
		}
	}
	return true, ""
}

// unhealthy says why the service is not healthy, or "".
func (svc *service) unhealthy() string {
	label := svc.name + "/run"
	switch {
	case svc.disabled:
		return ""
	case len(svc.programs) == 0:
		return label + ": not started yet"
	case svc.run == nil:
		return label + ": not running"
	case svc.notifyFd != 0 && !svc.ready.ready:
		return label + ": not ready (notification-fd " + strconv.Itoa(svc.notifyFd) + ")"
	}
	return ""
}
