package httpapi

import "net/http"

// router is where routes are registered: the server's http.ServeMux, or a test's list
// of patterns to compare with the OpenAPI document.
type router interface {
	Handle(pattern string, h http.Handler)
	HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request))
}

// routes is the whole API surface. Every route is described in openapi/openapi.yaml, in
// the same commit (TestOpenAPIDescribesEveryRoute).
func (s *Server) routes(mux router) {
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)

	mux.HandleFunc("GET /hello/world", s.handleHello)
	site := s.pageRoutes(mux)  // GET / and /assets/: the page for people, from web/
	s.openAPIRoutes(mux, site) // GET /api/openapi.json, and /docs/api: its page
	mux.HandleFunc("GET /api/csrf/restore", s.handleCSRFRestore)

	mux.HandleFunc("GET /api/session", s.handleSessionGet)
	mux.Handle("POST /api/session", s.limitByAddress(s.handle(s.handleLogin)))
	mux.Handle("DELETE /api/session", s.handle(s.handleLogout))
	mux.Handle("POST /api/session/second-factor", s.limitByAddress(s.handle(s.handleSecondFactor)))
	mux.Handle("POST /api/session/passkey/begin", s.limitWith(s.ceremonies, "", s.handle(s.handlePasskeyLoginBegin)))
	mux.Handle("POST /api/session/passkey/finish", s.limitByAddress(s.handle(s.handlePasskeyLoginFinish)))

	mux.Handle("POST /api/users", s.limitByAddress(s.handle(s.handleSignup)))
	mux.Handle("GET /api/users/me", s.requireAuth(s.handleMe))
	mux.Handle("PUT /api/users/me/password", s.requireAuth(s.handleChangePassword))
	mux.Handle("GET /api/users/me/events", s.requireAuth(s.handleEvents))
	mux.Handle("DELETE /api/users/me", s.requireAuth(s.handleDeleteAccount))
	mux.Handle("GET /api/users/me/export", s.requireAuth(s.handleExport))

	// The second factor: status, enrol (password, then a first code), turn off, and new
	// recovery codes. Every code is throttled per account, whichever endpoint takes it.
	mux.Handle("GET /api/users/me/totp", s.requireAuth(s.handleTOTPStatus))
	mux.Handle("POST /api/users/me/totp", s.requireAuth(s.handleTOTPBegin))
	mux.Handle("POST /api/users/me/totp/confirm", s.requireAuth(s.handleTOTPConfirm))
	mux.Handle("DELETE /api/users/me/totp", s.requireAuth(s.handleTOTPDisable))
	mux.Handle("POST /api/users/me/totp/recovery-codes", s.requireAuth(s.handleRecoveryCodes))

	// Passkeys: adding or removing one needs a recent log-in or the password (and the
	// second factor) again.
	mux.Handle("GET /api/users/me/passkeys", s.requireAuth(s.handlePasskeyList))
	mux.Handle("POST /api/users/me/passkeys/begin", s.requireAuth(s.handlePasskeyRegisterBegin))
	mux.Handle("POST /api/users/me/passkeys/finish", s.requireAuth(s.handlePasskeyRegisterFinish))
	mux.Handle("DELETE /api/users/me/passkeys/{id}", s.requireAuth(s.handlePasskeyDelete))

	mux.Handle("PUT /api/users/me/email", s.limitMail(s.requireAuth(s.handleEmailChange)))

	// Links by mail: each request only queues a mail; each confirmation spends a token.
	mux.Handle("POST /api/password-reset", s.limitMail(s.handle(s.handleResetRequest)))
	mux.Handle("POST /api/password-reset/confirm", s.limitMail(s.handle(s.handleResetConfirm)))
	mux.Handle("POST /api/email-verification", s.limitMail(s.handle(s.handleVerificationRequest)))
	mux.Handle("POST /api/email-verification/confirm", s.limitMail(s.handle(s.handleVerificationConfirm)))
	mux.Handle("POST /api/email-change/confirm", s.limitMail(s.handle(s.handleEmailChangeConfirm)))
	mux.Handle("POST /api/email-change/undo", s.limitMail(s.handle(s.handleEmailChangeUndo)))

	mux.Handle("GET /api/sessions", s.requireAuth(s.handleSessionsList))
	mux.Handle("DELETE /api/sessions", s.requireAuth(s.handleSessionsEndOthers))
	mux.Handle("DELETE /api/sessions/{id}", s.requireAuth(s.handleSessionsEndOne))
}
