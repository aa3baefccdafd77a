package vcard

// The demo users, and the keys and certificates derived from their ids.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/nhs-cpis/kiosk/cpis"
)

// User is the member of staff a virtual card belongs to.
type User struct {
	ID       string // 12-digit user UUID, as on an NHS smartcard
	Name     string
	Passcode string
	Roles    []cpis.Role
	Blocked  bool // the card is blocked from the start
}

// DemoUserID is the user the kiosk's demo card belongs to: Alex Morgan,
// Staff Nurse, passcode 1234.
const DemoUserID = "555000000010"

// Organisations of the demo roles (synthetic ODS codes).
const (
	orgGeneral  = "RXX01"
	nameGeneral = "Sandbox General Hospital"
	orgChildren = "RYY02"
	nameChild   = "Sandbox Children's Hospital"
)

var (
	// B0370 too: the FGM-IS query that follows every trace of a girl.
	traceAndView = []cpis.ActivityCode{cpis.PerformTrace, cpis.ViewFlag, cpis.ViewSummary}
	traceOnly    = []cpis.ActivityCode{cpis.PerformTrace}
	silentOnly   = []cpis.ActivityCode{cpis.SilentRead}
)

// Users are the demo and test card holders. All are synthetic.
var Users = []User{
	{ID: DemoUserID, Name: "Alex Morgan", Passcode: "1234", Roles: []cpis.Role{
		{ID: "555000000010-01", OrgCode: orgGeneral, OrgName: nameGeneral, JobRole: "Staff Nurse", Activity: traceAndView},
	}},
	// May trace (B0264) but not open an alert.
	{ID: "555000000011", Name: "Sam Patel", Passcode: "2345", Roles: []cpis.Role{
		{ID: "555000000011-01", OrgCode: orgGeneral, OrgName: nameGeneral, JobRole: "Receptionist", Activity: traceOnly},
	}},
	// Scheduled care's silent read only (B0170): refused by the kiosk.
	{ID: "555000000012", Name: "Jo Evans", Passcode: "3456", Roles: []cpis.Role{
		{ID: "555000000012-01", OrgCode: orgGeneral, OrgName: nameGeneral, JobRole: "Outpatients Nurse", Activity: silentOnly},
	}},
	// Two roles at two organisations: the kiosk asks which.
	{ID: "555000000013", Name: "Chris Taylor", Passcode: "4567", Roles: []cpis.Role{
		{ID: "555000000013-01", OrgCode: orgGeneral, OrgName: nameGeneral, JobRole: "Emergency Department Doctor", Activity: traceAndView},
		{ID: "555000000013-02", OrgCode: orgChildren, OrgName: nameChild, JobRole: "Paediatric Registrar", Activity: traceAndView},
	}},
	// A card already blocked: every command after SELECT answers 6983.
	{ID: "555000000014", Name: "Pat Lee", Passcode: "5678", Blocked: true, Roles: []cpis.Role{
		{ID: "555000000014-01", OrgCode: orgGeneral, OrgName: nameGeneral, JobRole: "Staff Nurse", Activity: traceAndView},
	}},
}

// Find returns the demo user with the id.
func Find(id string) (User, bool) {
	for _, u := range Users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

// Profile is the user as the identity service describes them, for
// registering the card with the sandbox.
func (u User) Profile() cpis.User {
	roles := make([]cpis.Role, len(u.Roles))
	for i, r := range u.Roles {
		r.Activity = append([]cpis.ActivityCode(nil), r.Activity...)
		roles[i] = r
	}
	return cpis.User{ID: u.ID, Name: u.Name, Roles: roles}
}

// keySeed is the fixed, public secret every demo key is derived from.
const keySeed = "cpis-kiosk demo smartcard keys v1 (public; demo and tests only)"

var (
	keys  sync.Map // id -> *ecdsa.PrivateKey
	certs sync.Map // id -> []byte
)

// PrivateKey is the card's ECDSA P-256 key, DERIVED from the user id so
// that any process (the sandbox, a test) can compute the same key pair
// without sharing state:
//
//	okm = HKDF-SHA256(secret = keySeed, salt = none, info = "vcard p256 " + id, 40 bytes)
//	d   = (okm as a big-endian integer mod (n-1)) + 1, n the P-256 order
//
// Anyone who reads this can derive it too: a derived key is only for the
// demo and test card, never for a real one.
func (u User) PrivateKey() *ecdsa.PrivateKey {
	if k, ok := keys.Load(u.ID); ok {
		return k.(*ecdsa.PrivateKey)
	}
	k := deriveKey(u.ID)
	actual, _ := keys.LoadOrStore(u.ID, k)
	return actual.(*ecdsa.PrivateKey)
}

// PublicKey is the public half of PrivateKey.
func (u User) PublicKey() *ecdsa.PublicKey { return &u.PrivateKey().PublicKey }

func deriveKey(id string) *ecdsa.PrivateKey {
	okm, err := hkdf.Key(sha256.New, []byte(keySeed), nil, "vcard p256 "+id, 40)
	if err != nil {
		panic(fmt.Sprintf("vcard: deriving key: %v", err)) // cannot happen for 40 bytes of SHA-256
	}
	n := elliptic.P256().Params().N
	d := new(big.Int).SetBytes(okm)
	d.Mod(d, new(big.Int).Sub(n, big.NewInt(1)))
	d.Add(d, big.NewInt(1))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d.FillBytes(make([]byte, 32)))
	if err != nil {
		panic(fmt.Sprintf("vcard: deriving key: %v", err)) // d is in [1, n-1]
	}
	return k
}

// Certificate is a self-signed X.509 certificate (DER) for the user's key,
// with the user id as its common name, a serial from the id and fixed
// validity dates. The ECDSA signature differs from one process to the
// next; within a process the same bytes are returned every time.
func (u User) Certificate() []byte {
	if c, ok := certs.Load(u.ID); ok {
		return c.([]byte)
	}
	c := makeCertificate(u)
	actual, _ := certs.LoadOrStore(u.ID, c)
	return actual.([]byte)
}

func makeCertificate(u User) []byte {
	key := u.PrivateKey()
	sum := sha256.Sum256([]byte("serial " + u.ID))
	serial := new(big.Int).SetBytes(sum[:16])
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         u.ID,
			Organization:       []string{"CP-IS kiosk demo (not an NHS card)"},
			OrganizationalUnit: []string{"virtual smartcard"},
		},
		NotBefore:             time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(fmt.Sprintf("vcard: making certificate: %v", err)) // a fixed template and a valid key
	}
	return der
}

// Registry is an identity service that can be told the virtual cards'
// holders and public keys (the embedded sandbox).
type Registry interface {
	RegisterCard(userID string, pub *ecdsa.PublicKey, user cpis.User)
}

// Register tells r about every virtual card, so that their signatures
// verify against the keys it holds.
func Register(r Registry) {
	for _, u := range Users {
		r.RegisterCard(u.ID, u.PublicKey(), cpis.User{ID: u.ID, Name: u.Name, Roles: u.Roles})
	}
}
