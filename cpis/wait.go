package cpis

// WaitReason is why a presentation waits for its CP-IS check. Its values
// are stored in the waiting list, so they never change once written.
type WaitReason string

// The reasons a check waits.
const (
	// WaitSpineDown: the Spine did not answer, so the child could not be
	// traced or checked (the guide's downtime process, step 21).
	WaitSpineDown WaitReason = "spine-down"
	// WaitCPISDown: PDS traced the child but CP-IS did not answer.
	WaitCPISDown WaitReason = "cpis-down"
	// WaitNoViewFlag: the member of staff who traced the child has no
	// B0107, so cannot make the check (guide step 12).
	WaitNoViewFlag WaitReason = "role-lacks-b0107"
	// WaitOpenFailed: the notifying query was sent and no answer came; the
	// access history settles whether it reached CP-IS.
	WaitOpenFailed WaitReason = "open-failed"
)

// Words is the reason for people, on the waiting list.
func (w WaitReason) Words() string {
	switch w {
	case WaitSpineDown:
		return "Spine down"
	case WaitCPISDown:
		return "CP-IS down"
	case WaitNoViewFlag:
		return "Needs a role with B0107"
	case WaitOpenFailed:
		return "Check had no answer"
	}
	return "Waiting"
}
