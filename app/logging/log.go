// Package logging writes the kiosk's logs: logrus to rotating files beside the
// data, every line redacted of NHS numbers, names, dates of birth and
// passcodes before it is written.
package logging

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/sirupsen/logrus"
	"gopkg.in/natefinch/lumberjack.v2"
)

// The log file's rotation: 10 MB a file, five old files kept, compressed.
// At the kiosk's rate of logging that is weeks of history for IT, in a
// bounded 60 MB or so of disk.
const (
	FileName   = "kiosk.log"
	MaxMB      = 10
	MaxBackups = 5
)

// logDir is where the kiosk's JSON logs live in its data folder.
func Dir(dataDir string) string { return filepath.Join(dataDir, "logs") }

// What the redactor removes wherever it appears in a log entry. Dates of
// birth, names and passcodes are never handed to the logger; this is the
// net under that rule.
var (
	// nhsLike is anything that could be an NHS number: ten digits, or 3-3-4
	// with spaces or hyphens.
	NHSLike = regexp.MustCompile(`\b\d{3}[ -]?\d{3}[ -]?\d{4}\b`)
	// isoDate is YYYY-MM-DD standing alone. A timestamp (2026-03-05T03:12:00Z)
	// is not matched: the T joins the date to the time, so there is no word
	// boundary after the day.
	isoDate = regexp.MustCompile(`\b\d{4}-\d{1,2}-\d{1,2}\b`)
	// ukDate is DD/MM/YYYY (and D/M/YY), the way a date of birth is typed.
	ukDate = regexp.MustCompile(`\b\d{1,2}/\d{1,2}/\d{2,4}\b`)
	// wordDate is "02 Mar 2015" or "2 March 2015", the screens' own format.
	wordDate = regexp.MustCompile(`(?i)\b\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4}\b`)
)

const redacted = "[redacted]"

// redactText removes NHS numbers and dates from free text.
func redactText(s string) string {
	for _, re := range []*regexp.Regexp{NHSLike, isoDate, ukDate, wordDate} {
		s = re.ReplaceAllString(s, redacted)
	}
	return s
}

func redactBytes(b []byte) []byte {
	for _, re := range []*regexp.Regexp{NHSLike, isoDate, ukDate, wordDate} {
		b = re.ReplaceAll(b, []byte(redacted))
	}
	return b
}

// sensitiveWords are field names whose values are never logged, whatever
// they hold: a name, a date of birth, a passcode or PIN.
var sensitiveWords = map[string]bool{
	"name": true, "names": true, "given": true, "family": true, "surname": true, "forename": true,
	"passcode": true, "password": true, "pin": true, "dob": true, "birth": true, "birthdate": true, "birthday": true,
}

// sensitiveKey reports whether a field's name says it holds personal
// details: any word of it (split at "_", "-", "." and camelCase) is one of
// sensitiveWords, or ends in "name" (username, fullName) or starts with
// "birth". Whole words, so that "spine" is not taken for "pin".
func SensitiveKey(k string) bool {
	for _, w := range keyWords(k) {
		if sensitiveWords[w] || strings.HasSuffix(w, "name") || strings.HasPrefix(w, "birth") {
			return true
		}
	}
	return false
}

func keyWords(k string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range k {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && len(cur) > 0 && !unicode.IsUpper(cur[len(cur)-1]):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

// redactValue is a field's value with NHS numbers and dates removed from
// its text. Errors and Stringers become their (redacted) text; numbers,
// booleans and durations pass as they are, and anything else is left to
// the net over the formatted entry.
func redactValue(v any) any {
	switch x := v.(type) {
	case string:
		return redactText(x)
	case time.Time, time.Duration:
		// JSON writes a time with its T (never taken for a date of birth)
		// and a duration as a number; the net catches the text form.
		return v
	case error:
		return redactText(x.Error())
	case fmt.Stringer:
		return redactText(x.String())
	}
	return v
}

// redactor wraps a formatter: it drops the values of fields named like
// personal details, removes NHS numbers and dates from the message and
// every field, and runs the same patterns over the formatted entry as a
// last net.
type Redactor struct{ Next logrus.Formatter }

func (r Redactor) Format(e *logrus.Entry) ([]byte, error) {
	c := *e
	c.Data = make(logrus.Fields, len(e.Data))
	for k, v := range e.Data {
		if SensitiveKey(k) {
			c.Data[k] = redacted
			continue
		}
		c.Data[k] = redactValue(v)
	}
	c.Message = redactText(e.Message)
	b, err := r.Next.Format(&c)
	if err != nil {
		return nil, err
	}
	return redactBytes(b), nil
}

// newLogger logs text to standard error and JSON to a rotating
// logs/kiosk.log in the data folder, both through the redactor.
func New(dataDir string, level logrus.Level) (*logrus.Logger, io.Closer, error) {
	l := logrus.New()
	l.SetLevel(level)
	l.SetFormatter(Redactor{&logrus.TextFormatter{FullTimestamp: true}})
	l.SetOutput(os.Stderr)
	if dataDir == "" {
		return l, io.NopCloser(nil), nil
	}
	dir := Dir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		// The kiosk still runs: a check must not wait on a log file. The
		// status screen shows the log folder cannot be written.
		l.WithError(err).Warn("cannot make the log folder: logging to standard error only")
		return l, io.NopCloser(nil), nil
	}
	// lumberjack makes its files 0600.
	f := &lumberjack.Logger{Filename: filepath.Join(dir, FileName), MaxSize: MaxMB,
		MaxBackups: MaxBackups, Compress: true}
	l.AddHook(&fileHook{w: f, f: Redactor{&logrus.JSONFormatter{}}})
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

// scrubLog runs the redactor's patterns over a log file's bytes, for the
// diagnostics bundle: the files were redacted when written, and a bundle
// leaves the machine, so it is done again on the way out.
func ScrubLog(b []byte) []byte {
	if !bytes.ContainsAny(b, "0123456789") {
		return b
	}
	return redactBytes(b)
}

// Discard is a logger that writes nowhere, for parts given no logger.
func Discard() logrus.FieldLogger {
	l := logrus.New()
	l.Out = io.Discard
	return l
}
