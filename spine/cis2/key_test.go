package cis2_test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/nhs-cpis/kiosk/spine/cis2"
)

// LoadOrCreateKey makes a 4096-bit key once, mode 0600, PKCS#8; reads the
// same key back; and refuses the file once others may read it.
func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "cis2-client.pem")
	k, err := cis2.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.N.BitLen() != 4096 {
		t.Errorf("%d bits, want 4096", k.N.BitLen())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("file is not a PKCS#8 PEM: %.40q", b)
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		t.Fatal(err)
	}

	again, err := cis2.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Equal(k) {
		t.Error("a second load gave another key")
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := cis2.LoadOrCreateKey(path); !errors.Is(err, cis2.ErrKeyPermissions) {
		t.Errorf("mode 0644: %v, want ErrKeyPermissions", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
		t.Error("the refused file was rewritten")
	}
}

// An existing file is read (PKCS#1 too) or refused, never replaced.
func TestLoadOrCreateKeyNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	pkcs1 := filepath.Join(dir, "pkcs1.pem")
	if err := os.WriteFile(pkcs1, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(kioskKey())}), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := cis2.LoadOrCreateKey(pkcs1)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Equal(kioskKey()) {
		t.Error("the PKCS#1 file gave another key")
	}

	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cis2.LoadOrCreateKey(junk); err == nil {
		t.Error("a file with no key was accepted")
	}
	if b, _ := os.ReadFile(junk); string(b) != "not a key\n" {
		t.Errorf("the file was overwritten: %q", b)
	}
}

// RFC 7638 §3.1's worked example, and go-jose's thumbprint of our key.
func TestKeyID(t *testing.T) {
	n, err := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	if err != nil {
		t.Fatal(err)
	}
	rfc := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	if got, want := cis2.KeyID(rfc), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("KeyID of RFC 7638's key %q, want %q", got, want)
	}
	if got, want := cis2.KeyID(&kioskKey().PublicKey), thumbprint(&kioskKey().PublicKey); got != want {
		t.Errorf("KeyID %q, go-jose's thumbprint %q", got, want)
	}
}

// The JWKS for onboarding parses with go-jose to the same public key,
// named by KeyID, for RS512 signing; a signature by the private key
// verifies with it.
func TestPublicJWKS(t *testing.T) {
	pub := &kioskKey().PublicKey
	b, err := cis2.PublicJWKS(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("\n  ")) {
		t.Errorf("JWKS not indented: %s", b)
	}
	var raw struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(b, &raw); err != nil || len(raw.Keys) != 1 {
		t.Fatalf("JWKS %s: %v", b, err)
	}
	for k, want := range map[string]string{"kty": "RSA", "alg": "RS512", "use": "sig", "kid": cis2.KeyID(pub), "e": "AQAB"} {
		if raw.Keys[0][k] != want {
			t.Errorf("%s = %q, want %q", k, raw.Keys[0][k], want)
		}
	}
	if _, ok := raw.Keys[0]["d"]; ok {
		t.Fatal("the JWKS holds the private exponent")
	}

	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	jwk := set.Key(cis2.KeyID(pub))
	if len(jwk) != 1 {
		t.Fatalf("no key named %q", cis2.KeyID(pub))
	}
	if got, ok := jwk[0].Key.(*rsa.PublicKey); !ok || !got.Equal(pub) {
		t.Fatalf("key %T is not ours", jwk[0].Key)
	}
	if tp, _ := jwk[0].Thumbprint(crypto.SHA256); base64.RawURLEncoding.EncodeToString(tp) != jwk[0].KeyID {
		t.Error("kid is not the key's thumbprint")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS512, Key: kioskKey()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte("onboarding"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := jws.Verify(&jwk[0]); err != nil || string(got) != "onboarding" {
		t.Errorf("verifying with the published key: %v", err)
	}
}
