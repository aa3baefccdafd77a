package itstatus

import (
	"crypto/x509"
	"time"

	"github.com/nhs-cpis/kiosk/device"
	"github.com/nhs-cpis/kiosk/store"
)

// statusFacts are what the probes found, before they are judged.
type statusFacts struct {
	Now     time.Time
	DataDir string

	// The smartcard reader as device.Reader sees it, and pcscd's process.
	Readers       device.Status
	WantReader    string // the configuration's reader, if any
	DaemonRunning bool
	DaemonDetail  string

	Identity []identityFound
	// CIS2: a real Spine is configured, where NHS CIS2 signs staff in and
	// the NHS identity software reads the card.
	CIS2 bool

	Baseline Baseline
	Host     hostFacts

	Spine []endpointFacts

	Store storeFacts

	DiskFree uint64
	DiskErr  error

	LogDir   string
	LogBytes int64
	LogErr   error
}

// hostFacts are the environment baseline's raw facts.
type hostFacts struct {
	OSID, OSVersion, OSPretty string
	OSErr                     error
	Kernel                    string
	KernelErr                 error
	Display                   string
	ScreenW, ScreenH          int
	ScreenErr                 error
	GL                        string
	GLErr                     error
	TZ                        string
	TZErr                     error
	RootsFile                 string
	Roots                     int
	RootsErr                  error
	SpineCA                   string // the configured spine.ca_file, if any
	SpineCAErr                error
}

// endpointFacts is one Spine endpoint's probe.
type endpointFacts struct {
	ID, Title, URL string
	Status         int           // the HTTP status; 0 when there was no answer
	Latency        time.Duration // request to answer
	Err            error         // no answer: refused, timed out, TLS
	Cert           *x509.Certificate
	Date           time.Time // the answer's Date header
	Mid            time.Time // the local time half-way through the request
}

// storeState says how the database could be read.
type storeState int

const (
	storeOpen    storeState = iota // read directly
	storeLocked                    // the running kiosk holds it
	storeMissing                   // no database yet in this data folder
	storeFailed                    // it could not be opened (key, corruption)
)

type storeFacts struct {
	State       storeState
	Err         error
	Counts      store.Counts
	LastCheck   time.Time // the last successful CP-IS check, live or waited
	LastCheckOK bool
	// LastFGM is the last FGM-IS query's audit record (zero: none yet).
	LastFGM  store.Event
	AuditErr error // the newest audit records did not verify while the last check was sought
	// Snapshot is the running kiosk's last status, when the database is
	// locked; SnapshotErr says why there is none.
	Snapshot    *Status
	SnapshotErr error
}
