package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"authme/internal/auth"
	"authme/internal/events"
)

// EventLog reads an account's security history: the store's.
type EventLog interface {
	// ListEvents returns up to limit of the user's events, newest first, older than
	// the event before (0: from the newest).
	ListEvents(ctx context.Context, userID, before int64, limit int) ([]events.Event, error)
}

// Paging of GET /api/users/me/events.
const (
	defaultEventsLimit = 20
	maxEventsLimit     = 100
)

// eventView is one security event as its owner sees it.
type eventView struct {
	ID        int64             `json:"id"`
	Kind      string            `json:"kind"`
	At        time.Time         `json:"at"`
	Address   string            `json:"address"`
	UserAgent string            `json:"userAgent"`
	SessionID string            `json:"sessionId"`
	Current   bool              `json:"current"`
	Count     int               `json:"count"`
	Detail    map[string]string `json:"detail"`
}

type eventsBody struct {
	Events     []eventView `json:"events"`
	NextCursor *string     `json:"nextCursor"`
}

// handleEvents lists the caller's security events, newest first, a page at a time: the
// cursor is the last page's nextCursor, opaque to the client.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request, c current) error {
	q := r.URL.Query()
	limit, before := defaultEventsLimit, int64(0)
	bad := map[string]string{}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEventsLimit {
			bad["limit"] = "Limit must be a whole number from 1 to 100."
		}
		limit = n
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			bad["cursor"] = "Cursor must be a nextCursor this endpoint returned."
		}
		before = n
	}
	if len(bad) > 0 {
		return &auth.Error{Code: auth.EInvalid, Message: auth.MsgBadRequest, Fields: bad}
	}
	// One more than the page tells whether there is a next one.
	list, err := s.events.ListEvents(r.Context(), c.user.ID, before, limit+1)
	if err != nil {
		return err
	}
	body := eventsBody{Events: make([]eventView, 0, min(len(list), limit))}
	if len(list) > limit {
		list = list[:limit]
		next := strconv.FormatInt(list[limit-1].ID, 10)
		body.NextCursor = &next
	}
	for _, e := range list {
		d := e.Detail
		if d == nil {
			d = map[string]string{}
		}
		body.Events = append(body.Events, eventView{ID: e.ID, Kind: e.Kind, At: e.At.UTC(), Address: e.Address,
			UserAgent: e.UserAgent, SessionID: e.SessionID, Current: e.SessionID != "" && e.SessionID == c.sessionID,
			Count: e.Count, Detail: d})
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// noEvents is the EventLog of a server wired without one: an empty history.
type noEvents struct{}

func (noEvents) ListEvents(context.Context, int64, int64, int) ([]events.Event, error) {
	return nil, nil
}
