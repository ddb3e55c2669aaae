package securitytest

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pquerna/otp/totp"

	"authme/internal/account"
	"authme/internal/auth"
	"authme/internal/httpapi"
	"authme/internal/login"
	"authme/internal/testdb"
)

// TestHostileInput throws what attackers send at every endpoint. Every answer is a 4xx
// JSON error (or, for a forged session, "no user"), never a 500; no user, password or
// session changes; and the server still answers afterwards.
func TestHostileInput(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) { hostileInput(t, tg) })
	}
}

func hostileInput(t *testing.T, tg testdb.Target) {
	db := tg.Migrated(t)
	seed(t, db)
	// The mail flows and the account's own endpoints are wired as cmd/authme wires them,
	// so their hostile bodies reach the real handlers rather than a 503.
	a := start(t, db, options{wire: func(d *httpapi.Deps, users *auth.Service) {
		wireMail(t, db, &countingTransport{to: map[string]int{}})(d, users)
		d.Owners = account.New(db, users, d.Log, account.WithFactors(d.Factors.(login.Prover)))
	}})
	// A logged-in client, for the authenticated endpoints.
	c := newClient(t, a.URL)
	if r := c.login(a.URL, "FakeUser2", "password3"); r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	// An account with two-factor authentication, and a client halfway through its
	// log-in, for the second step: the attack must leave that attempt usable.
	totpSecret := enrolTOTP(t, a.URL, "FakeUser1", "password2")
	p := newClient(t, a.URL)
	if r := p.login(a.URL, "FakeUser1", "password2"); r.status != http.StatusAccepted {
		t.Fatalf("log-in of the TOTP account: %d %s, want 202", r.status, r.body)
	}
	// The client's log-in is made older than the 5 minutes within which a passkey may
	// be added or removed without the password, so the passkey endpoints' bodies reach
	// the password and code checks rather than being waved through.
	if _, err := db.SQL().Exec(`UPDATE "Sessions" SET "createdAt" = "createdAt" - 600 WHERE "userId" = (SELECT "id" FROM "Users" WHERE "username" = 'FakeUser2')`); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db.SQL())

	long := strings.Repeat("A", 10_000)
	deep := strings.Repeat(`{"a":`, 10_000) + `1` + strings.Repeat(`}`, 10_000)
	sqli := []string{`' OR '1'='1`, `"; DROP TABLE "Users"; --`, `admin'--`, `1; DELETE FROM "Sessions"`, `%' OR 1=1 --`}
	bodies := map[string]string{
		"LongFields":    fmt.Sprintf(`{"credential":%q,"password":%q,"username":%q,"email":%q,"currentPassword":%q,"newPassword":%q,"token":%q,"code":%q,"recoveryCode":%q}`, long, long, long, long, long, long, long, long, long),
		"NULBytes":      `{"credential":"Demo\u0000lition","password":"pass\u0000word","username":"nul\u0000user","email":"a\u0000@b.io","currentPassword":"\u0000","newPassword":"\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000","token":"\u0000","code":"123\u0000456","recoveryCode":"abcd-efgh-ijkl-mnop-qrst-uvw\u0000"}`,
		"InvalidUTF8":   "{\"credential\":\"\xff\xfe\xfd\",\"password\":\"\xc3\x28password\",\"username\":\"\xed\xa0\x80user\",\"email\":\"\xff@x.io\",\"currentPassword\":\"\xff\",\"newPassword\":\"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\",\"code\":\"12345\xff\",\"recoveryCode\":\"\xffbcd-efgh-ijkl-mnop-qrst-uvwx\"}",
		"DuplicateKeys": `{"credential":"Demo-lition","credential":"FakeUser1","password":"x","password":"y","username":"a","username":"bbbb","email":"a","email":"b","code":"123456","code":"654321","recoveryCode":"a","recoveryCode":"b"}`,
		"DeepNesting":   deep,
		"DeepInField":   `{"credential":` + deep + `}`,
		"WrongTypes":    `{"credential":123,"password":["a"],"username":{"x":1},"email":true,"currentPassword":null,"newPassword":1e400,"token":{"t":1},"code":123456,"recoveryCode":["abcd"]}`,
		"NotAnObject":   `[1,2,3]`,
		"Truncated":     `{"credential":"Demo-lition","pass`,
		"Huge":          `{"credential":"` + strings.Repeat("x", 2<<20) + `"}`,
	}
	// One code field at a time, so that the second factor's parsing (not the "one of
	// the two" rule) meets them; none is six ASCII digits or 24 base32 characters, so
	// none may count as a wrong code.
	for name, f := range map[string]string{
		"CodeInjection":         `"code":"1' OR '1'='1"`,
		"CodeLong":              `"code":"` + strings.Repeat("1", 10_000) + `"`,
		"CodeNUL":               `"code":"123\u0000456"`,
		"CodeWideDigits":        `"code":"１２３４５６"`,
		"CodeArabicDigits":      `"code":"١٢٣٤٥٦"`,
		"CodeNumber":            `"code":123456`,
		"CodeNull":              `"code":null`,
		"RecoveryCodeInjection": `"recoveryCode":"abcd-efgh-ijkl-mnop-qrst-u'--"`,
		"RecoveryCodeLong":      `"recoveryCode":"` + strings.Repeat("a", 10_000) + `"`,
		"RecoveryCodeNonASCII":  `"recoveryCode":"ａｂｃｄ-efgh-ijkl-mnop-qrst-uvwx"`,
	} {
		bodies[name] = `{"password":"not the password",` + f + `}`
	}
	// Authenticator answers that are shaped like one but are not: the passkey endpoints
	// must parse them and refuse, whatever part is broken.
	b64 := base64.RawURLEncoding.EncodeToString
	clientData := func(typ, challenge string) string {
		return b64([]byte(fmt.Sprintf(`{"type":%q,"challenge":%q,"origin":"http://localhost:8000"}`, typ, challenge)))
	}
	for name, cred := range map[string]string{
		"PasskeyEmptyObject":        `{}`,
		"PasskeyLongID":             fmt.Sprintf(`{"id":%q,"rawId":%q,"type":"public-key","response":{}}`, long, long),
		"PasskeyBadBase64":          `{"id":"!!!","rawId":"!!!","type":"public-key","response":{"clientDataJSON":"%%%","attestationObject":"%%%","authenticatorData":"%%%","signature":"%%%"}}`,
		"PasskeyClientDataNotJSON":  `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"` + b64([]byte("not json")) + `","authenticatorData":"AAAA","signature":"AAAA"}}`,
		"PasskeySQLChallenge":       `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"` + clientData("webauthn.get", sqli[0]) + `","authenticatorData":"` + b64(make([]byte, 37)) + `","signature":"AAAA","userHandle":"AAAAAAAAAAE"}}`,
		"PasskeyCreateSQLChallenge": `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"` + clientData("webauthn.create", sqli[1]) + `","attestationObject":"` + b64([]byte{0xa0}) + `"}}`,
		"PasskeyShortAuthData":      `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"` + clientData("webauthn.get", "AAAA") + `","authenticatorData":"AA","signature":"","userHandle":""}}`,
		"PasskeyHugeAttestation":    `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"` + clientData("webauthn.create", "AAAA") + `","attestationObject":"` + b64(make([]byte, 500_000)) + `"}}`,
		"PasskeyWrongType":          `{"id":"AAAA","rawId":"AAAA","type":"password","response":{"clientDataJSON":"` + clientData("webauthn.get", "AAAA") + `"}}`,
	} {
		bodies[name] = `{"name":"Laptop","password":"not the password","credential":` + cred + `}`
	}
	bodies["PasskeyLongName"] = fmt.Sprintf(`{"name":%q,"password":"not the password","credential":{}}`, long)
	for i, s := range sqli {
		// The email is the injection string itself, never a valid address, so a sign-up
		// is refused; TestInjectionTextIsStoredVerbatim covers the valid kind.
		bodies[fmt.Sprintf("SQLInjection%d", i)] = fmt.Sprintf(`{"credential":%q,"password":%q,"username":%q,"email":%q,"currentPassword":%q,"newPassword":%q,"token":%q,"code":%q,"recoveryCode":%q}`, s, s, s+"xx", s, s, s+"long enough", s, s, s)
	}
	contentTypes := []string{"application/json", "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "garbage;;;="}
	endpoints := []struct{ method, path string }{
		{"POST", "/api/session"},
		{"POST", "/api/users"},
		{"PUT", "/api/users/me/password"},
		{"DELETE", "/api/sessions/" + neturl.PathEscape(sqli[1])},
		{"DELETE", "/api/session/extra"},
		{"POST", "/api/password-reset"},
		{"POST", "/api/password-reset/confirm"},
		{"POST", "/api/email-verification"},
		{"POST", "/api/email-verification/confirm"},
		{"PUT", "/api/users/me/email"},
		{"POST", "/api/email-change/confirm"},
		{"POST", "/api/email-change/undo"},
		{"DELETE", "/api/users/me"},
		{"POST", "/api/session/second-factor"},
		{"POST", "/api/users/me/totp"},
		{"POST", "/api/users/me/totp/confirm"},
		{"DELETE", "/api/users/me/totp"},
		{"POST", "/api/users/me/totp/recovery-codes"},
		{"POST", "/api/users/me/passkeys/begin"},
		{"POST", "/api/users/me/passkeys/finish"},
		{"DELETE", "/api/users/me/passkeys/" + neturl.PathEscape(sqli[0])},
		{"POST", "/api/session/passkey/finish"},
	}
	for _, ep := range endpoints {
		cl := c
		if ep.path == "/api/session/second-factor" {
			cl = p // with a live attempt, so the bodies reach the code's checks
		}
		for name, body := range bodies {
			r := cl.do(ep.method, a.URL+ep.path, body, nil)
			expect4xxJSON(t, fmt.Sprintf("%s %s %s", ep.method, ep.path, name), r)
		}
		for _, ct := range contentTypes {
			r := cl.do(ep.method, a.URL+ep.path, bodies["SQLInjection0"], map[string]string{"Content-Type": ct})
			expect4xxJSON(t, fmt.Sprintf("%s %s as %s", ep.method, ep.path, ct), r)
		}
	}

	// Forged and oversized session cookies: no user, the cookie cleared, never a 500.
	forge := func(claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	exp := time.Now().Add(time.Hour).Unix()
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"data":{"id":1},"jti":"x","exp":9999999999}`)) + "."
	tokens := map[string]string{
		"HugeID":         forge(jwt.MapClaims{"data": map[string]any{"id": 1e300, "username": "x", "email": "x"}, "jti": "nope", "exp": exp}),
		"NegativeID":     forge(jwt.MapClaims{"data": map[string]any{"id": -1}, "jti": "nope", "exp": exp}),
		"SQLInJTI":       forge(jwt.MapClaims{"data": map[string]any{"id": 1}, "jti": sqli[0], "exp": exp}),
		"HugeJTI":        forge(jwt.MapClaims{"data": map[string]any{"id": 1}, "jti": long, "exp": exp}),
		"AlgNone":        none,
		"Garbage":        "%%%not-a-token!",
		"LongCookie":     strings.Repeat("t", 60_000),
		"Dots":           "...",
		"NegativeExpiry": forge(jwt.MapClaims{"data": map[string]any{"id": 1}, "jti": "x", "exp": -1}),
	}
	for name, tok := range tokens {
		fresh := newClient(t, a.URL)
		r := fresh.do("GET", a.URL+"/api/session", "", map[string]string{"Cookie": "token=" + tok})
		if r.status != 200 || strings.TrimSpace(r.body) != `{"user":null}` {
			t.Errorf("GET /api/session with %s token: %d %s, want 200 {\"user\":null}", name, r.status, r.body)
		}
		r = fresh.do("GET", a.URL+"/api/users/me", "", map[string]string{"Cookie": "token=" + tok})
		expect4xxJSON(t, "GET /api/users/me with "+name+" token", r)
	}

	// Headers past the server's limit are refused by net/http itself (431, plain text:
	// the request never reaches authme's handlers).
	r := c.do("GET", a.URL+"/api/session", "", map[string]string{"X-Big": strings.Repeat("h", 100_000)})
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KB header: status %d, want 431", r.status)
	}
	r = c.do("GET", a.URL+"/api/session", "", map[string]string{"X-Request-Id": strings.Repeat("i", 5000) + "\u2028"})
	if r.status != 200 || len(r.header.Get("X-Request-Id")) > 64 {
		t.Errorf("hostile X-Request-Id: status %d, echoed %d bytes", r.status, len(r.header.Get("X-Request-Id")))
	}

	if after := snapshot(t, db.SQL()); after != before {
		t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
	}
	if r := newClient(t, a.URL).do("GET", a.URL+"/hello/world", "", nil); r.status != 200 || r.body != "Hello World!" {
		t.Fatalf("server no longer answers: %d %q", r.status, r.body)
	}
	if r := newClient(t, a.URL).login(a.URL, "Demo-lition", "password"); r.status != 200 {
		t.Fatalf("demo log-in after the attack: %d %s", r.status, r.body)
	}
	// The attempt outlived the attack: a right code finishes it.
	code, err := totp.GenerateCode(totpSecret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if r := p.do("POST", a.URL+"/api/session/second-factor", `{"code":"`+code+`"}`, nil); r.status != 200 {
		t.Fatalf("the TOTP log-in after the attack: %d %s", r.status, r.body)
	}
}

// enrolTOTP turns two-factor authentication on for an account through the API and
// returns its secret; the confirming code is the current step's, so the step after it
// is left for the test.
func enrolTOTP(t *testing.T, base, credential, pw string) string {
	t.Helper()
	c := newClient(t, base)
	if r := c.login(base, credential, pw); r.status != 200 {
		t.Fatalf("log-in of %s: %d %s", credential, r.status, r.body)
	}
	b, _ := json.Marshal(map[string]string{"password": pw})
	r := c.do("POST", base+"/api/users/me/totp", string(b), nil)
	secret, _ := r.json(t)["secret"].(string)
	if r.status != 200 || secret == "" {
		t.Fatalf("enrol %s: %d %s", credential, r.status, r.body)
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := c.do("POST", base+"/api/users/me/totp/confirm", `{"code":"`+code+`"}`, nil); r.status != 200 {
		t.Fatalf("confirm %s: %d %s", credential, r.status, r.body)
	}
	return secret
}

func expect4xxJSON(t *testing.T, what string, r response) {
	t.Helper()
	if r.status < 400 || r.status > 499 {
		t.Errorf("%s: status %d, want 4xx; body %.200s", what, r.status, r.body)
		return
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want JSON", what, ct)
		return
	}
	if m, _ := r.json(t)["message"].(string); m == "" {
		t.Errorf("%s: no message in %.200s", what, r.body)
	}
}

// snapshot renders every user (with hash), session, second factor (secret, recovery
// code and pending log-in) and passkey, to compare before and after.
func snapshot(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT "id", "username", "email", "hashedPassword" FROM "Users" ORDER BY "id"`,
		`SELECT "id", "userId", "expiresAt", '' FROM "Sessions" ORDER BY "id"`,
		`SELECT "userId", "secret", "confirmedAt", "lastStep" FROM "TotpFactors" ORDER BY "userId"`,
		`SELECT "hash", "userId", '', '' FROM "RecoveryCodes" ORDER BY "hash"`,
		`SELECT "hash", "userId", "expiresAt", "failures" FROM "PendingLogins" ORDER BY "hash"`,
		`SELECT "id", "userId", "credentialId", "credential" FROM "Passkeys" ORDER BY "id"`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a, b2, c2, d []byte
			if err := rows.Scan(&a, &b2, &c2, &d); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s|%s|%s|%s;", a, b2, c2, d)
		}
		rows.Close()
	}
	return b.String()
}

// TestInjectionTextIsStoredVerbatim: a valid account whose name and email look like SQL
// is created as typed, can log in, and harms nothing: every query is parameterised.
func TestInjectionTextIsStoredVerbatim(t *testing.T) {
	for _, tg := range testdb.Targets(t) {
		t.Run(tg.Dialect, func(t *testing.T) {
			db := tg.Migrated(t)
			seed(t, db)
			a := start(t, db, options{})
			c := newClient(t, a.URL)
			body := `{"username":"x'); DROP TABLE \"Users\";--","email":"o'reilly+1@x.io","password":"a long enough password"}`
			r := c.do("POST", a.URL+"/api/users", body, nil)
			if r.status != 201 {
				t.Fatalf("signup: %d %s", r.status, r.body)
			}
			if u := r.json(t)["user"].(map[string]any); u["username"] != `x'); DROP TABLE "Users";--` || u["email"] != "o'reilly+1@x.io" {
				t.Fatalf("stored as %v", u)
			}
			if r := newClient(t, a.URL).login(a.URL, "O'Reilly+1@X.io", "a long enough password"); r.status != 200 {
				t.Fatalf("login by email: %d %s", r.status, r.body)
			}
			if n, err := db.UserCount(t.Context()); err != nil || n != 4 {
				t.Fatalf("users = %d, %v; want the 3 demo users and the new one", n, err)
			}
		})
	}
}
