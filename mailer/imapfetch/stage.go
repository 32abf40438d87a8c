package imapfetch

import "errors"

// How far a connection got before it failed: what a page may tell someone who is not the
// operator (the error itself, with the server's words, is for the log).
const (
	// StageConnect: no IMAP server answered there (refused, timed out, not TLS, no greeting),
	// or the address was refused (dialguard.ErrRefused).
	StageConnect = "connect"
	// StageLogin: an IMAP server answered and refused the login.
	StageLogin = "login"
	// StageFolder: logged in, the folder could not be selected.
	StageFolder = "folder"
)

// StageError is a failure to reach, log in to or open a mailbox, with its stage.
type StageError struct {
	Stage string
	Err   error
}

func (e *StageError) Error() string { return e.Err.Error() }
func (e *StageError) Unwrap() error { return e.Err }

// Stage is the stage err failed at (StageConnect when it says none).
func Stage(err error) string {
	if se := (*StageError)(nil); errors.As(err, &se) {
		return se.Stage
	}
	return StageConnect
}

// stageOf is the stage of a login's failure: the greeting's, or the login's.
func stageOf(err error) string {
	if se := (*StageError)(nil); errors.As(err, &se) {
		return se.Stage
	}
	return StageLogin
}
