package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// keySize is the length of the key file: one AES-256 key's worth of
// randomness, from which the working keys are derived.
const keySize = 32

// Errors about the key file. Each stops Open: the kiosk must not run with
// records it cannot read or a key others can read.
var (
	// ErrKeyMissing means the database holds records but its key file is
	// not there (deleted, not restored with the database, or key_dir
	// pointing somewhere else). Open never makes a new key over existing
	// records: they could then never be read again.
	ErrKeyMissing = errors.New("the database holds records but its key file is missing; " +
		"restore the key file, or check the key folder setting (a new key would make the records unreadable)")
	// ErrKeyMismatch means the key file is not the one the database was
	// sealed with.
	ErrKeyMismatch = errors.New("the key file does not belong to this database; restore the database's own key file")
	// ErrKeyPermissions means users other than the kiosk's may read or
	// write the key file.
	ErrKeyPermissions = errors.New("the key file can be reached by other users; " +
		"it must be readable by the kiosk user alone (chmod 600)")
	// ErrKeyInvalid means the key file does not hold a kiosk key (it is
	// the wrong size or not a regular file).
	ErrKeyInvalid = errors.New("the key file does not hold a kiosk key")
	// ErrTampered means a stored record did not authenticate: it was
	// altered, moved to another bucket or key, or damaged on disk. Either
	// way it cannot be trusted, and the audit log is not intact.
	ErrTampered = errors.New("a stored record has been altered or moved")
)

// Context strings for deriving working keys from the key file, so that the
// audit chain's MAC, when it comes, gets a key of its own rather than
// reusing the sealing key for a second purpose.
const (
	sealInfo = "cpis-kiosk store: record sealing v1"
	// Prefix of every record's additional data: a later format changes it,
	// so old and new records can never be taken for each other.
	adPrefix = "cpis-kiosk record v1"
)

// sealer seals and opens records with AES-256-GCM. Random 12-byte nonces
// are safe up to about 2^32 records per key, far beyond what one kiosk
// writes in its life.
type sealer struct{ aead cipher.AEAD }

func newSealer(master []byte) (*sealer, error) {
	k, err := hkdf.Key(sha256.New, master, nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving sealing key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("making cipher: %w", err)
	}
	// The random nonce goes in front of the ciphertext.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("making cipher: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// additionalData binds a sealed value to where it is stored. The bucket
// name is length-prefixed so that bucket "ab" with key "c" and bucket "a"
// with key "bc" differ.
func additionalData(bucket, key []byte) []byte {
	ad := make([]byte, 0, len(adPrefix)+2+len(bucket)+len(key))
	ad = append(ad, adPrefix...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(bucket)))
	ad = append(ad, bucket...)
	return append(ad, key...)
}

// seal returns nonce || ciphertext || tag for plain, to be stored under key
// in bucket and nowhere else.
func (s *sealer) seal(bucket, key, plain []byte) []byte {
	return s.aead.Seal(nil, nil, plain, additionalData(bucket, key))
}

// open reverses seal. The result is a fresh slice, so sealed may point into
// a bbolt page that goes away when its transaction ends.
func (s *sealer) open(bucket, key, sealed []byte) ([]byte, error) {
	plain, err := s.aead.Open(nil, nil, sealed, additionalData(bucket, key))
	if err != nil {
		return nil, ErrTampered
	}
	return plain, nil
}

// readKey reads the key file, refusing one that others could read. A
// missing file comes back as an error matching fs.ErrNotExist.
func readKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", path, ErrKeyInvalid)
	}
	// Windows has no mode bits to check: there the folder's ACL (or, later,
	// the platform key store) protects the key.
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s has mode %04o: %w", path, fi.Mode().Perm(), ErrKeyPermissions)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(key) != keySize {
		return nil, fmt.Errorf("%s holds %d bytes, want %d: %w", path, len(key), keySize, ErrKeyInvalid)
	}
	return key, nil
}

// createKey writes a new random key at path without ever replacing one
// that exists. The key is written whole to a temporary file and then
// linked into place, so a crash leaves either no key or a complete one,
// never a short file that would lock the records away.
func createKey(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making key folder: %w", err)
	}
	key := make([]byte, keySize)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".key-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("writing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("writing key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("writing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing key: %w", err)
	}
	// Link, unlike rename, fails if a key is already there.
	if err := os.Link(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("placing key: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("placing key: %w", err)
	}
	return key, nil
}

// syncDir makes a new directory entry durable where the platform allows
// it; the key must not vanish in a power cut after records were sealed
// with it.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
