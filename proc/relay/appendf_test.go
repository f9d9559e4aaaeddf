package relay

import (
	"errors"
	"testing"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

func TestAppendf(t *testing.T) {
	tests := []struct {
		format string
		args   []any
		want   string
	}{
		{"PID %d finished with %s", []any{42, sys.ExitStatus{Code: 3}}, "PID 42 finished with status 3"},
		{"DINIT_DIR %q: %v", []any{"/a b", errors.New("boom")}, `DINIT_DIR "/a b": boom`},
		{"100%% %s", []any{"done"}, "100% done"},
		{"%d %d", []any{-1}, "-1 %!d"},
		{"trailing %", nil, "trailing %"},
		{"%s", []any{3.5}, "?"},
	}
	for _, tt := range tests {
		if got := string(appendf(nil, tt.format, tt.args...)); got != tt.want {
			t.Errorf("appendf(%q) = %q, want %q", tt.format, got, tt.want)
		}
	}
}
