package httpapi

import (
	"context"
	"net/http"

	"authme/internal/account"
	"authme/internal/auth"
	"authme/internal/events"
)

type deleteAccountRequest struct {
	Password string `json:"password"`
	secondFactor
}

// handleDeleteAccount deletes the caller's account and everything authme keeps for it,
// once the password (and the second factor, when the account has one) is confirmed. The account's sessions go with it, so this client's
// token is dead; its cookies (and the device cookie naming the account) are cleared.
func (s *Server) handleDeleteAccount(w http.ResponseWriter, r *http.Request, c current) error {
	var req deleteAccountRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.owners.Delete(r.Context(), c.user, req.Password, req.proof(), s.client(r).Origin(c.sessionID)); err != nil {
		return err
	}
	s.cookies.clearToken(w)
	s.device.clear(w)
	writeJSON(w, http.StatusOK, map[string]string{"message": account.MsgDeleted})
	return nil
}

// errOwnersOff answers deletion and export on a server wired without them.
var errOwnersOff = &auth.Error{Code: auth.EUnavailable, Message: auth.MsgUnavailable}

// noOwners is Owners on a server wired without it.
type noOwners struct{}

func (noOwners) Delete(context.Context, auth.User, string, auth.Proof, events.Origin) error {
	return errOwnersOff
}
func (noOwners) Export(context.Context, int64) (account.Data, error) {
	return account.Data{}, errOwnersOff
}
