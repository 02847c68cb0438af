// Publish one message to sealpush, then read its status: signed requests with the standard library only.
//
// Usage: SEALPUSH_APP_ID=... SEALPUSH_APP_SECRET=... go run publish.go CLIENT_ID MESSAGE_ID
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// region sign
// authorization is the Authorization header for one request; target is the path and query exactly as sent.
func authorization(appID, secret, method, target string, body []byte) (string, error) {
	key, err := base64.RawURLEncoding.DecodeString(secret) // the bytes of the secret, not its text
	if err != nil {
		return "", fmt.Errorf("SEALPUSH_APP_SECRET is not base64url: %w", err)
	}
	nonce := make([]byte, 16) // fresh for every request, retries included
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	n := base64.RawURLEncoding.EncodeToString(nonce)
	bodyHash := sha256.Sum256(body)
	text := strings.Join([]string{method, target, ts, n, hex.EncodeToString(bodyHash[:])}, "\n")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(text))
	sig := base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	return fmt.Sprintf("SEALPUSH-HMAC-SHA256 app=%s,ts=%s,nonce=%s,sig=%s", appID, ts, n, sig), nil
}

// endregion

// region send
// send signs and sends one request; payload nil means no body. It returns the JSON answer and the status.
func send(method, target string, payload any) (string, int, error) {
	var body []byte
	if payload != nil {
		var err error
		if body, err = json.Marshal(payload); err != nil { // sign exactly the bytes sent
			return "", 0, err
		}
	}
	req, err := http.NewRequest(method, baseURL()+target, bytes.NewReader(body))
	if err != nil {
		return "", 0, err
	}
	auth, err := authorization(os.Getenv("SEALPUSH_APP_ID"), os.Getenv("SEALPUSH_APP_SECRET"), method, req.URL.RequestURI(), body)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Authorization", auth)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body) // on 4xx/5xx it names the error code
	return string(answer), res.StatusCode, err
}

// endregion

func baseURL() string {
	if u := os.Getenv("SEALPUSH_URL"); u != "" {
		return u
	}
	return "http://127.0.0.1:8080"
}

func main() {
	if len(os.Args) != 3 || os.Getenv("SEALPUSH_APP_ID") == "" || os.Getenv("SEALPUSH_APP_SECRET") == "" {
		fmt.Fprintln(os.Stderr, "Usage: SEALPUSH_APP_ID=... SEALPUSH_APP_SECRET=... go run publish.go CLIENT_ID MESSAGE_ID")
		os.Exit(2)
	}
	clientID, messageID := os.Args[1], os.Args[2]
	message := map[string]any{"to": clientID, "data": map[string]any{"invoice": 42, "paid": true}, "id": messageID}
	show(send("POST", "/v1/messages", message))
	show(send("GET", "/v1/messages/"+url.PathEscape(messageID), nil))
}

// show prints an answer and its status, and stops the program on a failure or a refusal.
func show(answer string, status int, err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(answer, status)
	if status >= 300 {
		os.Exit(1)
	}
}
