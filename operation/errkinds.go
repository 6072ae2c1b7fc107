package operation

import (
	"errors"

	"github.com/wxmedia/wxmedia/executor"
	"github.com/wxmedia/wxmedia/pgstate"
)

// Kinds of error the operations return, for the command layer to say what
// to do next (errors.Is); the errors' texts say what is wrong. Those of the
// executor and the PostgreSQL backend are repeated here, as the command
// layer reaches neither.
var (
	// ErrUnfinished: an apply left changes undone on purpose (uploads not
	// started after an interrupt, forgets held back); the next apply
	// makes them.
	ErrUnfinished = executor.ErrUnfinished
	// ErrFileUnreadable: an asset file is gone or unreadable since the plan;
	// making it readable again is enough.
	ErrFileUnreadable = executor.ErrFileUnreadable
	// ErrPlanOutdated: a change the lockfile no longer supports; a new plan
	// is needed.
	ErrPlanOutdated = executor.ErrPlanOutdated
	// ErrExpandPending: an expand failed after its upload was recorded; the
	// next apply expands without uploading.
	ErrExpandPending = executor.ErrExpandPending
	// ErrStateChanged is wrapped by a write refused because the stored
	// state is not the one this run read (someone else wrote meanwhile).
	ErrStateChanged = pgstate.ErrConflict
	// ErrNothingStored marks a pull from a state backend that holds no
	// state yet.
	ErrNothingStored = errors.New("operation: nothing is stored in the state backend yet")
)
