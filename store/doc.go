// Package store keeps the kiosk's durable records in one bbolt file: the
// audit log, the offline queue with its dead letters, the retrospective
// review list, and the staff access checks.
//
// Anything that could name a patient or a member of staff is sealed with
// AES-256-GCM before it reaches the file, under a key that lives in a file
// of its own (DESIGN.md, "Data and privacy"): a copy of the database alone
// reveals nothing, and each sealed record is bound to its bucket and key so
// that records cannot be swapped or moved without the swap being noticed.
//
// The audit log is tamper-evident as a whole (chain.go): each record
// carries the hash of the one before and a MAC under a key derived from
// the key file apart from the sealing key, and the meta bucket holds the
// log's head, so a record altered, removed, reordered or cut off the end
// is found by Verify. Records past their retention are purged from the
// front, with a checkpoint the chain starts from (retention.go).
//
// One process at a time may open the database (bbolt holds an exclusive
// file lock); a second kiosk fails fast with ErrLocked instead of waiting.
package store
