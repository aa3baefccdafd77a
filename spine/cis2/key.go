package cis2

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"runtime"

	"github.com/go-jose/go-jose/v4"
)

// keyBits is SIGNIN.md's size for the kiosk's key; minKeyBits the least
// LoadOrCreateKey will read (the API platform's floor for RS512 keys).
const (
	keyBits    = 4096
	minKeyBits = 2048
)

// LoadOrCreateKey reads the kiosk's RSA key from a PEM file (PKCS#8 or
// PKCS#1), or makes a 4096-bit key and writes it there as PKCS#8 with mode
// 0600 when there is no file. It never overwrites a file, and refuses one
// that group or others may read or write (ErrKeyPermissions).
func LoadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	k, err := loadKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err = rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("making the key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding the key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("making the key directory: %w", err)
	}
	// O_EXCL: a file made meanwhile by another process wins, and is read.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the key file: %w", err)
	}
	err = pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // ours, half written
		return nil, fmt.Errorf("writing the key file: %w", err)
	}
	return k, nil
}

// loadKey reads a key file; fs.ErrNotExist when there is none.
func loadKey(path string) (*rsa.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("reading the key file: %s is not a regular file", path)
	}
	// Windows reports no Unix permissions; the kiosk runs on Linux.
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600", ErrKeyPermissions, path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("reading the key file: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("reading the key file: %s holds no PEM block", path)
	}
	var k *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing the key: %w", err)
		}
		var ok bool
		if k, ok = parsed.(*rsa.PrivateKey); !ok {
			return nil, fmt.Errorf("parsing the key: %T, not RSA", parsed)
		}
	case "RSA PRIVATE KEY":
		if k, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return nil, fmt.Errorf("parsing the key: %w", err)
		}
	default:
		return nil, fmt.Errorf("parsing the key: PEM type %q", block.Type)
	}
	if k.N.BitLen() < minKeyBits {
		return nil, fmt.Errorf("parsing the key: %d bits, fewer than %d", k.N.BitLen(), minKeyBits)
	}
	return k, nil
}

// KeyID is the key's RFC 7638 JWK thumbprint: SHA-256 over
// {"e":…,"kty":"RSA","n":…}, members in that order, no spaces, base64url.
func KeyID(pub *rsa.PublicKey) string {
	b64 := base64.RawURLEncoding.EncodeToString
	e := b64(big.NewInt(int64(pub.E)).Bytes())
	sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + b64(pub.N.Bytes()) + `"}`))
	return b64(sum[:])
}

// PublicJWKS is the key's public half as a JWK Set for onboarding with the
// API platform: {"keys":[{kty,n,e,alg:"RS512",use:"sig",kid}]}, indented.
func PublicJWKS(pub *rsa.PublicKey) ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key:       pub,
		KeyID:     KeyID(pub),
		Algorithm: string(jose.RS512),
		Use:       "sig",
	}}}
	b, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the JWKS: %w", err)
	}
	return b, nil
}
