//go:build !unix

package itstatus

// diskFree is not measured here yet: the status says "not checked".
func diskFree(string) (uint64, error) { return 0, errNotChecked }
