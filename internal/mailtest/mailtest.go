// Package mailtest runs a real SMTP server on loopback for tests and load
// runs, so email is checked as a receiver sees it.
package mailtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one email as received.
type Message struct {
	From      string
	To        []string
	Header    mail.Header
	Subject   string
	Text      string // the text/plain part
	HTML      string // the text/html part
	MessageID string
	Raw       []byte
	Received  time.Time // wall-clock time the server accepted it
}

// Server is an SMTP server on 127.0.0.1 that keeps what it receives.
type Server struct {
	Addr string // host:port
	srv  *smtp.Server

	// Delay is how long each message takes to accept, as a real server's
	// disk and checks take: a load run's deliveries then last long enough
	// to be interrupted. Set it before the first message.
	Delay time.Duration

	mu       sync.Mutex
	received []Message
	arrived  chan struct{} // closed and replaced at each message
	// FailNext makes the next n deliveries fail with a temporary error.
	failNext int
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Listen runs a server until Close.
func Listen() (*Server, error) {
	s := &Server{arrived: make(chan struct{})}
	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	// A client that dies mid-conversation (a killed replica) is what some
	// tests are about, not an error to print.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtp listen: %w", err)
	}
	s.Addr = ln.Addr().String()
	s.srv = srv
	go srv.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// WaitFor waits until cond holds of the messages received, checking as
// each arrives, or ctx ends: how a test waits for another process's mail
// without sleeping.
func (s *Server) WaitFor(ctx context.Context, cond func([]Message) bool) error {
	for {
		s.mu.Lock()
		ok, next := cond(s.received), s.arrived
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-next:
		case <-ctx.Done():
			return fmt.Errorf("waiting for mail: %w (%d received)", ctx.Err(), s.Count())
		}
	}
}

// Count is how many messages were received so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

// URL is the server as meetingd's --smtp takes it.
func (s *Server) URL() string { return "smtp://" + s.Addr }

// FailNext makes the next n messages be refused with a temporary error.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// Messages returns what was received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.received...)
}

// To returns the messages received for addr.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, rcpt := range m.To {
			if strings.EqualFold(rcpt, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

type backend struct{ s *Server }

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (ss *session) AuthPlain(string, string) error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if d := ss.s.Delay; d > 0 {
		time.Sleep(d) // a real server's work, in a load run only
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.failNext > 0 {
		ss.s.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m, err := parse(raw)
	if err != nil {
		return err
	}
	m.From, m.To, m.Received = ss.from, ss.to, time.Now()
	ss.s.received = append(ss.s.received, m)
	close(ss.s.arrived)
	ss.s.arrived = make(chan struct{})
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// parse reads the message and its text and HTML parts.
func parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	m := Message{Header: msg.Header, Subject: subject, MessageID: msg.Header.Get("Message-Id"), Raw: raw}
	err = walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &m)
	return m, err
}

func walk(contentType, cte string, body io.Reader, m *Message) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m); err != nil {
				return err
			}
		}
	}
	text, err := decodeBody(cte, body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		m.Text = text
	case "text/html":
		m.HTML = text
	}
	return nil
}

// combinedRE finds the parts of an email that combines several ("3 updates
// from meetingd."): each starts with a line "== 2. Subject ==".
var combinedRE = regexp.MustCompile(`(?m)^== \d+\. (.+) ==$`)

// Parts returns the emails addr received, one per thing said: a combined
// email counts as each of its parts, with that part's subject and text.
func (s *Server) Parts(addr string) []Message {
	var out []Message
	for _, m := range s.To(addr) {
		heads := combinedRE.FindAllStringSubmatchIndex(m.Text, -1)
		if len(heads) < 2 {
			out = append(out, m)
			continue
		}
		for i, h := range heads {
			end := len(m.Text)
			if i+1 < len(heads) {
				end = heads[i+1][0]
			}
			part := m
			part.Subject, part.Text = m.Text[h[2]:h[3]], m.Text[h[1]:end]
			out = append(out, part)
		}
	}
	return out
}
