// Package cpis is the kiosk's domain vocabulary: NHS numbers, patients,
// Child Care Alert plans and their visibility, the unscheduled care
// settings, the "who to check" rules and the national RBAC activity codes.
//
// It is pure Go with no I/O, shared by every other package of the kiosk.
// The rules come from "Implementing Child Protection – Information Sharing"
// (NHS Digital, last edited 14 December 2021), quoted where they are applied.
package cpis
