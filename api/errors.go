package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/tickets"
)

// Error is the body of every error response: {"error":{"code":…,"message":…,"field":…}}.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// MergedInto is, for a ticket that was merged (404, or the 301 of a read), the number of the
	// ticket it was merged into.
	MergedInto int64 `json:"merged_into,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Error codes.
const (
	codeBadRequest   = "bad_request"  // 400: the body is not the JSON asked for
	codeInvalid      = "invalid"      // 400 or 422: a value is wrong (field names it)
	codeUnauthorized = "unauthorized" // 401
	codeForbidden    = "forbidden"    // 403: the role does not allow it
	codeNotFound     = "not_found"    // 404: no such thing — or not this property's
	codeNotAllowed   = "method_not_allowed"
	codeConflict     = "conflict"  // 409
	codeTooLarge     = "too_large" // 413
	codeMediaType    = "unsupported_media_type"
	codeRateLimited  = "rate_limited" // 429
	codeUnavailable  = "unavailable"  // 503
	codeInternal     = "internal"     // 500
)

func apiErr(status int, code, field, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// invalid is a value the API itself refuses (400).
func invalid(field, format string, args ...any) *Error {
	return apiErr(http.StatusBadRequest, codeInvalid, field, format, args...)
}

// fieldError names the input a store error is about, so its response carries the field.
type fieldError struct {
	err   error
	field string
}

func (e fieldError) Error() string { return e.err.Error() }
func (e fieldError) Unwrap() error { return e.err }

func withField(err error, field string) error {
	if err == nil {
		return nil
	}
	return fieldError{err: err, field: field}
}

// storeMessage is a store error as an API user should read it: without the package prefix.
func storeMessage(err error) string {
	s := strings.ReplaceAll(err.Error(), "tickets: ", "")
	return strings.TrimPrefix(s, "invalid: ")
}

// toError maps any error to its response. Store errors keep their message (they say what is
// wrong, never more); anything unexpected is a 500 whose detail goes to the log only.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var pe *tickets.ParamError
	if errors.As(err, &pe) {
		return invalid(pe.Field, "%s", pe.Msg)
	}
	var fe403 *tickets.ForbiddenError
	if errors.As(err, &fe403) {
		return apiErr(http.StatusForbidden, codeForbidden, fe403.Field, "%s", fe403.Msg)
	}
	var le *tickets.LocaleError
	if errors.As(err, &le) {
		return apiErr(http.StatusUnprocessableEntity, codeInvalid, "locale", "%s", le.Msg)
	}
	field := ""
	var fe fieldError
	if errors.As(err, &fe) {
		field = fe.field
	}
	var mbe *http.MaxBytesError
	var merged *tickets.MergedError
	switch {
	case errors.As(err, &merged):
		e := apiErr(http.StatusNotFound, codeNotFound, "", "%s", storeMessage(err))
		e.MergedInto = merged.Into
		return e
	case errors.As(err, &mbe):
		return apiErr(http.StatusRequestEntityTooLarge, codeTooLarge, field, "the request body is larger than %d bytes", mbe.Limit)
	case errors.Is(err, tickets.ErrNotFound):
		return apiErr(http.StatusNotFound, codeNotFound, "", "%s", storeMessage(err))
	case errors.Is(err, tickets.ErrInvalid):
		return apiErr(http.StatusUnprocessableEntity, codeInvalid, field, "%s", storeMessage(err))
	case errors.Is(err, tickets.ErrExists):
		return apiErr(http.StatusConflict, codeConflict, field, "%s", storeMessage(err))
	case db.IsBadValue(err):
		return apiErr(http.StatusBadRequest, codeBadRequest, field, "a value cannot be stored (a NUL byte, invalid text or a number out of range)")
	case errors.Is(err, context.Canceled):
		return apiErr(499, "canceled", "", "the request was canceled")
	}
	return apiErr(http.StatusInternalServerError, codeInternal, "", "internal error")
}

// writeError answers with err, logging what the client does not see.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.toLoggedError(r, err)
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="postdesk"`)
	}
	writeJSON(w, e.Status, map[string]*Error{"error": e})
}

// toLoggedError is toError, logging the cause of a server-side failure, which the client does
// not see.
func (s *Server) toLoggedError(r *http.Request, err error) *Error {
	e := toError(err)
	if e.Status >= 500 {
		s.log.ErrorContext(r.Context(), "api: request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	return e
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// Body size limits.
const (
	maxJSONBody = 64 << 10 // every JSON body without attachments
)

// decode reads a JSON body into v: at most limit bytes, one value, no unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return apiErr(http.StatusUnsupportedMediaType, codeMediaType, "", "send the body as application/json, not %q", ct)
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return apiErr(http.StatusBadRequest, codeBadRequest, "", "the body must be one JSON object")
	}
	return checkBodyText(v)
}

// decodeEmpty accepts no body, or an empty object, for actions that take no input: anything else
// is a mistake the client should hear about.
func decodeEmpty(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	var none struct{}
	err := decode(w, r, &none, maxJSONBody)
	var e *Error
	if errors.As(err, &e) && e.Message == "a JSON body is required" {
		return nil
	}
	return err
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return apiErr(http.StatusBadRequest, codeBadRequest, "", "a JSON body is required")
	case errors.As(err, &se):
		return apiErr(http.StatusBadRequest, codeBadRequest, "", "malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return apiErr(http.StatusBadRequest, codeBadRequest, te.Field, "%s must be a %s, not a JSON %s", fieldOr(te.Field), te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiErr(http.StatusBadRequest, codeBadRequest, "", "the JSON body is cut short")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return apiErr(http.StatusBadRequest, codeBadRequest, f, "unknown field %q", f)
	}
	return apiErr(http.StatusBadRequest, codeBadRequest, "", "bad JSON body: %v", err)
}

func fieldOr(f string) string {
	if f == "" {
		return "the body"
	}
	return f
}
