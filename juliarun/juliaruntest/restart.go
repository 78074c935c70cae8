package juliaruntest

import (
	"context"
	"fmt"
)

// StopAPIServer stops the kube-apiserver process, leaving etcd and the
// other components running: from then on, requests to the cluster fail as
// they do when a control plane crashes or is upgraded (connection refused).
// StartAPIServer brings it back. Stopping a stopped API server does nothing.
//
// The API server ends gracefully (SIGTERM): requests it is serving finish,
// watches are closed.
func (c *Cluster) StopAPIServer() error {
	c.apiMu.Lock()
	defer c.apiMu.Unlock()
	if c.apiStopped {
		return nil
	}
	if err := c.env.ControlPlane.APIServer.Stop(); err != nil {
		return fmt.Errorf("juliaruntest: stopping kube-apiserver: %w (log: %s)", err, c.apiLog.Name())
	}
	c.apiStopped = true
	return nil
}

// StartAPIServer starts the kube-apiserver stopped by StopAPIServer again,
// on the same address, with the same certificates, users and etcd, so
// every client and component made before reconnects to it; stored objects
// are all still there. It returns once the API server is healthy, or when
// ctx ends (the API server may then still come up). Starting a running API
// server does nothing.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		c.apiMu.Lock()
		defer c.apiMu.Unlock()
		if !c.apiStopped {
			done <- nil
			return
		}
		err := c.env.ControlPlane.APIServer.Start()
		if err == nil {
			c.apiStopped = false
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("juliaruntest: starting kube-apiserver again: %w (log: %s)", err, c.apiLog.Name())
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("juliaruntest: starting kube-apiserver again: %w", ctx.Err())
	}
}

// RestartAPIServer stops the kube-apiserver and starts it again, keeping
// etcd, its address and its certificates (see StopAPIServer and
// StartAPIServer). The API server is down for about as long as it takes to
// start: a few seconds.
func (c *Cluster) RestartAPIServer(ctx context.Context) error {
	if err := c.StopAPIServer(); err != nil {
		return err
	}
	return c.StartAPIServer(ctx)
}
