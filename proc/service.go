package proc

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// service is one directory of DINIT_DIR.
type service struct {
	name     string
	dir      string
	run      *process // nil once ended (or before start)
	log      *process
	disabled bool     // run ended with 115
	main     *Program // the main program of `dinit PROGRAM`: not a directory
	notifyFd int      // its notification-fd: run's fd for readiness; 0: none
	ready    readiness
	programs []*process // every program started for it, in start order (status)

	logEnd    sys.ExitStatus // how log/run ended while run still ran
	logEndDue time.Time      // when that end starts the shutdown (see logGrace)
	logReason string         // why, as the shutdown line says it
}

func (s *service) path(parts ...string) string {
	return filepath.Join(append([]string{s.dir}, parts...)...)
}

// configuredServices lists the services of the configured directory: none when
// there is none (Dir "": a main program without services).
func (s *Supervisor) configuredServices() ([]*service, error) {
	if s.cfg.Dir == "" {
		return nil, nil
	}
	return discover(s.cfg.Dir)
}

// discover lists the services of dir in name order: directories (after
// following symlinks) whose names do not start with a dot.
// dir is made absolute: each program runs with its own directory as working
// directory, so a relative path would no longer resolve.
func discover(dir string) ([]*service, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var svcs []*service
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
			continue
		}
		svc := &service{name: e.Name(), dir: path}
		if err := checkEnterable(svc); err != nil {
			return nil, err
		}
		if svc.notifyFd, err = readNotificationFd(svc.path("notification-fd")); err != nil {
			return nil, err
		}
		svcs = append(svcs, svc)
	}
	return svcs, nil
}

// checkEnterable refuses a service whose directory, or log/, we may not
// enter (no search permission for our uid, e.g. mode 700 of another
// owner): every name in it would fail with EACCES, and the first one
// tried (notification-fd, log/run) would be blamed instead of the
// directory.
func checkEnterable(svc *service) error {
	for _, dir := range []string{svc.dir, svc.path("log")} {
		// "dir/." resolves only with search permission on dir; a
		// missing log/ is ENOENT, fine.
		// (errors.As would link reflectlite: 28 KiB.)
		_, err := os.Stat(dir + "/.")
		if pe, ok := err.(*fs.PathError); ok && errors.Is(pe.Err, fs.ErrPermission) {
			return errors.New("service " + svc.name + ": cannot enter " + dir + ": " + pe.Err.Error())
		}
	}
	return nil
}

// exists reports whether path names something (a file we will try to run).
func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
