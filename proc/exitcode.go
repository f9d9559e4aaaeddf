package proc

import "github.com/dinit-dev/dinit/proc/internal/sys"

// The exit code. The first reason recorded wins (exitCode), by the rule of
// the mode:
//
//   - services only, DINIT_EXIT_CODE=dinit (the reference's rule): a
//     signal records 0, our own failure 1, a program's end that is a
//     failure (isFailure) 3; an end with 0 records nothing.
//   - services only, DINIT_EXIT_CODE=service: the end that started the
//     shutdown records its program's code (128+N for a signal N), 0
//     included; a signal 0, our own failure 1, as above.
//   - with a main program (tini's rule): its end decides, whoever ended
//     it (128+N for a signal N), unless our own failure came first (1).
//     Before it ended (it may never have started), the first rule holds.

// recordEnd records what the end of a program that starts the shutdown
// means for the exit code.
func (s *Supervisor) recordEnd(st sys.ExitStatus) {
	switch {
	case s.cfg.Main == nil && s.cfg.ExitCode == ExitByService:
		s.recordExit(statusCode(st))
	case s.isFailure(st):
		s.recordExit(ExitService)
	}
}

// isFailure: a non-zero exit code, or death by a signal that was not part
// of our shutdown (once we shut down, a signal death is what we asked for,
// sent by us or by the service's terminate program).
func (s *Supervisor) isFailure(st sys.ExitStatus) bool {
	return st.Failed() && (st.Signal == 0 || !s.stopping())
}

// statusCode is a shell's view of an end: the code, or 128+N for signal N.
func statusCode(st sys.ExitStatus) int {
	if st.Signal != 0 {
		return 128 + int(st.Signal)
	}
	return st.Code
}

// recordExit keeps the first reason to exit: later ones do not change it.
func (s *Supervisor) recordExit(code int) {
	if s.exitCode == noReason {
		s.exitCode = code
	}
}

// code is the exit code (see above).
func (s *Supervisor) code() int {
	switch {
	case s.exitCode == ExitFailure:
		return ExitFailure
	case s.mainEnd != nil:
		return statusCode(*s.mainEnd)
	case s.exitCode == noReason:
		return ExitOK
	}
	return s.exitCode
}
