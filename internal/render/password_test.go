package render

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPasswordHashChecksWithJupyter has Jupyter's own passwd_check verify
// the hash: the right password passes, a wrong one does not.
func TestPasswordHashChecksWithJupyter(t *testing.T) {
	const python = "/usr/bin/python3" // Debian's, where python3-jupyter-server installs
	if exec.Command(python, "-c", "import jupyter_server.auth.security, argon2").Run() != nil {
		if os.Getenv("JULIARUN_REQUIRE_CLUSTER") != "" {
			t.Fatal("no Debian python3 with jupyter_server and argon2; ./hack/test.sh installs them")
		}
		t.Skip("SKIPPING: no Debian python3 with jupyter_server and argon2; ./hack/test.sh installs them")
	}
	const password = "correct horse battery staple"
	hash, err := hashPassword(password, bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		try  string
		want string
	}{{password, "True"}, {"wrong", "False"}} {
		out, err := exec.Command(python, "-c",
			"import sys; from jupyter_server.auth.security import passwd_check; print(passwd_check(sys.argv[1], sys.argv[2]))",
			hash, tc.try).CombinedOutput()
		if err != nil {
			t.Fatalf("passwd_check: %v\n%s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("passwd_check(hash, %q) = %s, want %s", tc.try, got, tc.want)
		}
	}
}

func TestPasswordMatches(t *testing.T) {
	hash, err := hashPassword("s3cret", bytes.NewReader(bytes.Repeat([]byte{1}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		hash, password string
		want           bool
	}{
		{hash, "s3cret", true},
		{hash, "S3cret", false},
		{hash, "", false},
		{"sha1:abc:def", "s3cret", false},
		{"argon2:$argon2id$v=19$m=10240,t=10,p=8$!!$x", "s3cret", false},
	} {
		if got := PasswordMatches(tc.hash, tc.password); got != tc.want {
			t.Errorf("PasswordMatches(%q, %q) = %v, want %v", tc.hash, tc.password, got, tc.want)
		}
	}
}
