// Package errmark gives an error a kind without changing its text. The
// packages below the command layer say what is wrong and mark the error
// with a kind they export (a sentinel such as executor.ErrUnfinished); the
// command layer, which knows which command is running, picks the advice
// for that kind ("run apply again to finish them").
package errmark

// Mark returns err marked with kind: errors.Is(Mark(err, kind), kind)
// holds, errors.Is and errors.As still find what err wraps, and the text
// is err's. Mark(nil, kind) is nil.
func Mark(err, kind error) error {
	if err == nil {
		return nil
	}
	return &marked{err: err, kind: kind}
}

type marked struct{ err, kind error }

func (m *marked) Error() string { return m.err.Error() }

func (m *marked) Unwrap() []error { return []error{m.err, m.kind} }
