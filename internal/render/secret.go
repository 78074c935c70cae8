package render

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
	corev1 "k8s.io/api/core/v1"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/internal/scripts"
)

// Keys of the job's Secret.
const (
	SecretKeyCookie       = "cluster-cookie"
	SecretKeyPasswordHash = "notebook-password-hash"
	// SecretKeyRunID holds a JuliaParBatch's run ID (not a secret; kept
	// here because the Secret is made once per Start and never changes,
	// so a re-rendered worker template refers to the same value).
	SecretKeyRunID = "run-id"
)

// cookieAlphabet is what cookies are made of: letters and digits, so the
// cookie passes through environment variables and stdin unquoted.
const cookieAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newCookie draws a Julia Distributed cluster cookie of scripts.CookieLength
// characters (about 95 bits) from rand, without modulo bias.
func newCookie(rand io.Reader) (string, error) {
	out := make([]byte, 0, scripts.CookieLength)
	buf := make([]byte, 32)
	// 248 is the largest multiple of 62 below 256: bytes at or above it are
	// dropped so every character is equally likely.
	const limit = 256 - 256%len(cookieAlphabet)
	for len(out) < scripts.CookieLength {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < scripts.CookieLength {
				out = append(out, cookieAlphabet[int(b)%len(cookieAlphabet)])
			}
		}
	}
	return string(out), nil
}

// Argon2id parameters of Jupyter's passwd() (argon2-cffi's PasswordHasher
// with memory_cost=10240, time_cost=10, parallelism=8).
const (
	argonTime    = 10
	argonMemory  = 10240 // KiB
	argonThreads = 8
	argonKeyLen  = 32
	argonSaltLen = 16
)

// hashPassword returns password hashed as Jupyter's passwd() does:
// "argon2:$argon2id$v=19$m=10240,t=10,p=8$<salt>$<hash>", base64 without
// padding. jupyter_server's passwd_check accepts it.
func hashPassword(password string, rand io.Reader) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("argon2:$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64(salt), b64(key)), nil
}

// secret returns the job's Secret, or nil when it has nothing secret.
func (r *renderer) secret() *corev1.Secret {
	data := map[string][]byte{}
	if r.cookie != "" {
		data[SecretKeyCookie] = []byte(r.cookie)
	}
	if r.passwordHash != "" {
		data[SecretKeyPasswordHash] = []byte(r.passwordHash)
	}
	if r.runID != "" {
		data[SecretKeyRunID] = []byte(r.runID)
	}
	if len(data) == 0 {
		return nil
	}
	sec := &corev1.Secret{
		TypeMeta:   typeMeta("v1", "Secret"),
		ObjectMeta: r.meta(names.Secret(r.s.Name), labels.RoleConfig),
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
	immutable := true
	sec.Immutable = &immutable
	return sec
}

// secretEnv returns an environment variable read from key of the job's
// Secret.
func (r *renderer) secretEnv(name, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: names.Secret(r.s.Name)},
		Key:                  key,
	}}}
}

// PasswordMatches reports whether password hashes to hash, a hash made by
// hashPassword (the salt is read from it).
func PasswordMatches(hash, password string) bool {
	parts := strings.Split(strings.TrimPrefix(hash, "argon2:"), "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	if len(parts) != 6 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	again, err := hashPassword(password, bytes.NewReader(salt))
	return err == nil && subtle.ConstantTimeCompare([]byte(again), []byte(hash)) == 1
}
