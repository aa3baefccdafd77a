// Package store keeps the kiosk's durable records in one bbolt file: the
// audit log, the offline queue with its dead letters, and the
// retrospective review list; staff training checks are to come.
//
// Anything that could name a patient or a member of staff is sealed with
// AES-256-GCM before it reaches the file, under a key that lives in a file
// of its own (DESIGN.md, "Data and privacy"): a copy of the database alone
// reveals nothing, and each sealed record is bound to its bucket and key so
// that records cannot be swapped or moved without the swap being noticed.
//
// One process at a time may open the database (bbolt holds an exclusive
// file lock); a second kiosk fails fast with ErrLocked instead of waiting.
package store
