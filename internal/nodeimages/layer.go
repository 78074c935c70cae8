package nodeimages

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// OCI whiteouts (image-spec layer.md): a file .wh.NAME deletes NAME from the
// layers below; .wh..wh..opq in a directory hides everything below it.
const (
	whiteoutPrefix = ".wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// emptied are directories whose contents never go into a layer: the
// runtime mounts its own there.
func emptied(rel string) bool {
	switch rel {
	case "dev", "proc", "sys":
		return true
	}
	return false
}

// writeLayer writes the tree at src as a gzip-compressed layer tarball at
// dst. Overlay whiteouts (0/0 character devices, and directories marked
// opaque) become OCI whiteouts; owners are numeric only (no user names from
// this machine); hard links stay hard links. Extended attributes are not
// kept.
func writeLayer(ctx context.Context, src, dst string) error {
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	// BestSpeed: the build is CPU-bound on two cores; the size cost is small.
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	links := map[[2]uint64]string{} // device and inode => first name
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st, _ := fi.Sys().(*syscall.Stat_t)
		if st != nil && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0 {
			dir, base := path.Split(rel)
			return tw.WriteHeader(&tar.Header{Name: dir + whiteoutPrefix + base, Typeflag: tar.TypeReg, Mode: 0o644, ModTime: fi.ModTime()})
		}
		if fi.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name = rel
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
		hdr.ModTime = fi.ModTime().Truncate(time.Second)
		hdr.Format = tar.FormatPAX
		if st != nil {
			hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
			if fi.Mode().IsRegular() && st.Nlink > 1 {
				key := [2]uint64{uint64(st.Dev), st.Ino}
				if first, ok := links[key]; ok {
					hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
				} else {
					links[key] = rel
				}
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.IsDir() {
			if opaque(p) {
				if err := tw.WriteHeader(&tar.Header{Name: rel + "/" + opaqueWhiteout, Typeflag: tar.TypeReg, Mode: 0o644, ModTime: hdr.ModTime}); err != nil {
					return err
				}
			}
			if emptied(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
			return copyFile(tw, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("writing layer %s from %s: %w", dst, src, err)
	}
	for _, c := range []io.Closer{tw, zw} {
		if err := c.Close(); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func copyFile(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// opaque reports whether overlayfs marked the directory opaque: it was
// deleted and made again, hiding what the lower layer had in it.
func opaque(dir string) bool {
	buf := make([]byte, 8)
	for _, attr := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		n, err := syscall.Getxattr(dir, attr, buf)
		if err == nil && strings.TrimSpace(string(buf[:n])) == "y" {
			return true
		}
	}
	return false
}
