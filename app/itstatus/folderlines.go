package itstatus

import (
	"fmt"

	"github.com/nhs-cpis/kiosk/app/logging"
)

// The data folder's lines: the disk space it has left, and the logs it
// holds.

// Thresholds, each documented with its line in packaging/README.md.
const (
	// diskAmber and diskRed: free space in the data folder. Below diskRed
	// the queue may be unable to record a presentation.
	diskAmber = 1 << 30
	diskRed   = 100 << 20
)

func judgeDisk(l StatusLine, f statusFacts) StatusLine {
	if f.DiskErr != nil {
		l.State, l.Detail = StateAmber, "Not checked: "+f.DataDir+" cannot be measured."
		l.Next = "Check the data folder exists and the disk is mounted."
		return l
	}
	l.Metrics = map[string]float64{"free_bytes": float64(f.DiskFree)}
	l.Detail = fmt.Sprintf("%s free in %s.", bytesWord(f.DiskFree), f.DataDir)
	switch {
	case f.DiskFree < diskRed:
		l.State = StateRed
		l.Next = "Free space now: the offline queue may be unable to record presentations. Delete old files, or move data_dir to a larger disk."
	case f.DiskFree < diskAmber:
		l.State = StateAmber
		l.Next = "Free some space soon (old diagnostics bundles are in " + bundleDir(f.DataDir) + ")."
	default:
		l.State = StateGreen
	}
	return l
}

func judgeLogs(l StatusLine, f statusFacts) StatusLine {
	where := fmt.Sprintf("JSON in %s (%s, a new file every %d MB, %d kept, compressed); text on standard error",
		f.LogDir, logging.FileName, logging.MaxMB, logging.MaxBackups)
	if f.LogErr != nil {
		l.State, l.Detail = StateAmber, "No log file yet. "+where+"."
		l.Next = "Check the data folder can be written; the kiosk logs there when it runs."
		return l
	}
	l.State, l.Detail = StateGreen, where+fmt.Sprintf("; the current file is %s.", bytesWord(uint64(f.LogBytes)))
	l.Metrics = map[string]float64{"bytes": float64(f.LogBytes)}
	return l
}
