package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The files of the sandbox's PKI in Options.StateDir.
const (
	CAFileName        = "ca.pem"         // the CA certificate the kiosk trusts
	ServerCertName    = "server.pem"     // the server certificate
	ServerKeyFileName = "server-key.pem" // its key, mode 0600
)

// certLife is ten years for both certificates: the kiosk is configured
// once with ca.pem and must keep trusting it.
const certLife = 10 * 365 * 24 * time.Hour

// loadOrCreatePKI reuses the CA and server certificate in dir when they
// are whole and valid, and makes new ones otherwise. The CA's private key
// is never written down: only the server certificate needs it, once, and
// a CA key left on disk would let anything on the machine impersonate the
// Spine to the kiosk.
func loadOrCreatePKI(dir string) (tls.Certificate, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, fmt.Errorf("making sandbox state directory: %w", err)
	}
	if cert, err := loadPKI(dir); err == nil {
		return cert, nil
	}
	if err := createPKI(dir); err != nil {
		return tls.Certificate{}, fmt.Errorf("making sandbox certificates: %w", err)
	}
	return loadPKI(dir)
}

func loadPKI(dir string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerCertName), filepath.Join(dir, ServerKeyFileName))
	if err != nil {
		return tls.Certificate{}, err
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, CAFileName))
	if err != nil {
		return tls.Certificate{}, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return tls.Certificate{}, errors.New("no CA certificate in " + CAFileName)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return tls.Certificate{}, err
	}
	// Renew well before expiry, and whenever the pair no longer chains to
	// the CA or covers loopback.
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots: pool, DNSName: "127.0.0.1", CurrentTime: time.Now().Add(30 * 24 * time.Hour),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err != nil {
		return tls.Certificate{}, err
	}
	cert.Leaf = leaf
	return cert, nil
}

func createPKI(dir string) error {
	now := time.Now()
	ca, caKey, err := issueCert(&x509.Certificate{
		Subject:               pkix.Name{CommonName: "CP-IS kiosk Spine sandbox CA", Organization: []string{"CP-IS kiosk (synthetic, not NHS)"}},
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, nil, nil, now)
	if err != nil {
		return err
	}
	leaf, key, err := issueCert(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}, ca, caKey, now)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	// The key first and the CA last: a crash part-way leaves no ca.pem
	// that the next start could mistake for a whole set.
	if err := writeFile(dir, ServerKeyFileName, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	if err := writeFile(dir, ServerCertName, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}), 0o644); err != nil {
		return err
	}
	return writeFile(dir, CAFileName, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o644)
}

// issueCert makes a P-256 key and, from tmpl, its certificate: a new
// serial, valid from an hour before now for certLife, signed by parentKey
// as parent, or self-signed when parent is nil.
func issueCert(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(certLife)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

// writeFile replaces a file atomically with the given mode.
func writeFile(dir, name string, b []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}
