package status

import "time"

// Deadline is when Expire has work: the earliest client timeout, or the end
// of a pause of the listener. ok is false when there is none.
func (s *Server) Deadline() (at time.Time, ok bool) {
	if !s.lis.watched && s.lis.fd >= 0 {
		at, ok = s.lis.resume, true
	}
	for _, c := range s.conns {
		if end := c.since.Add(ClientTimeout); !ok || end.Before(at) {
			at, ok = end, true
		}
	}
	return at, ok
}

// Expire drops the clients that ran out of time and watches the listener
// again after a pause.
func (s *Server) Expire(now time.Time) {
	s.keepIf(func(c *conn) bool {
		if now.Sub(c.since) < ClientTimeout {
			return true
		}
		s.log.Debugf("status: dropped a client: not done within %s", ClientTimeout)
		return false
	})
	s.resumeAccepting(now)
}
