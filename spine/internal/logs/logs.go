// Package logs gives the Spine client and its sandbox their loggers, the
// same way for both.
package logs

import (
	"io"

	"github.com/sirupsen/logrus"
)

// Component is l with the component field set. A nil l gives a logger
// that writes nowhere: a caller that wants logs passes its own, and
// nothing falls back to the global logger.
func Component(l logrus.FieldLogger, name string) logrus.FieldLogger {
	if l == nil {
		quiet := logrus.New()
		quiet.Out = io.Discard
		l = quiet
	}
	return l.WithField("component", name)
}
