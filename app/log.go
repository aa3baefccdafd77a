package app

import (
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/sirupsen/logrus"
)

// nhsLike matches anything that could be an NHS number in a log line: ten
// digits, or 3-3-4 with spaces or hyphens. Dates of birth, names and
// passcodes are never handed to the logger; this is the net under that rule.
var nhsLike = regexp.MustCompile(`\b\d{3}[ -]?\d{3}[ -]?\d{4}\b`)

// redactor wraps a formatter and removes NHS-number-like digits from every
// formatted entry.
type redactor struct{ next logrus.Formatter }

func (r redactor) Format(e *logrus.Entry) ([]byte, error) {
	b, err := r.next.Format(e)
	if err != nil {
		return nil, err
	}
	return nhsLike.ReplaceAll(b, []byte("[redacted]")), nil
}

// newLogger logs text to standard error and JSON to kiosk.log in the data
// folder, both redacted.
func newLogger(dataDir string, level logrus.Level) (*logrus.Logger, io.Closer, error) {
	l := logrus.New()
	l.SetLevel(level)
	l.SetFormatter(redactor{&logrus.TextFormatter{FullTimestamp: true}})
	l.SetOutput(os.Stderr)
	if dataDir == "" {
		return l, io.NopCloser(nil), nil
	}
	logDir := filepath.Join(dataDir, "logs")
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		return l, io.NopCloser(nil), nil
	}
	f, err := os.OpenFile(filepath.Join(logDir, "kiosk.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return l, io.NopCloser(nil), nil
	}
	l.AddHook(&fileHook{w: f, f: redactor{&logrus.JSONFormatter{}}})
	return l, f, nil
}

// fileHook writes every entry, formatted as JSON, to a second writer.
type fileHook struct {
	w io.Writer
	f logrus.Formatter
}

func (h *fileHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *fileHook) Fire(e *logrus.Entry) error {
	b, err := h.f.Format(e)
	if err != nil {
		return err
	}
	_, err = h.w.Write(b)
	return err
}
