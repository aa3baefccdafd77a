package device

import "time"

// ForcePolling makes r act as if the platform had no \\?PnP?\Notification,
// to test the fallback that lists the readers every Poll.
func ForcePolling(r *Reader) { r.forcePoll = true }

// SetServiceRetry changes how often r tries to reach a stopped service.
func SetServiceRetry(r *Reader, d time.Duration) { r.retry = d }
