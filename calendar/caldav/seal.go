package caldav

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"

	"meetingd/internal/errs"
)

// An app password opens the user's whole calendar (often their mail too),
// so it is sealed at rest as the Google tokens are: AES-GCM under the
// operator's key, which the database never holds, with the calendar's id
// as associated data so a sealed password cannot be moved to another row.

// newAEAD returns the cipher for key, or nil without one.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) == 0 {
		return nil, nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("caldav: the key must be 16, 24 or 32 bytes (64 hex digits is best): %w", err)
	}
	return cipher.NewGCM(block)
}

func passwordAAD(calID int64) []byte {
	return []byte("caldav-password:" + strconv.FormatInt(calID, 10))
}

// errNoKey: passwords cannot be sealed or opened without the key.
var errNoKey = errs.Errorf(errs.Invalid, "CalDAV needs --caldav-key (64 hex digits) to keep app passwords sealed; none is set")

func (s *Source) seal(calID int64, password string) (string, error) {
	if s.aead == nil {
		return "", errNoKey
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal password: %w", err)
	}
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(password), passwordAAD(calID))), nil
}

func (s *Source) unseal(calID int64, sealed string) (string, error) {
	if s.aead == nil {
		return "", errNoKey
	}
	raw, err := base64.StdEncoding.DecodeString(sealed)
	n := s.aead.NonceSize()
	if err != nil || len(raw) < n {
		return "", fmt.Errorf("the stored password of calendar %d is damaged", calID)
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], passwordAAD(calID))
	if err != nil {
		return "", fmt.Errorf("the stored password of calendar %d does not open with --caldav-key (was the key changed?)", calID)
	}
	return string(plain), nil
}
