package juliaruntest

import "github.com/juliarun/sdk/juliarun/fake"

// FakeClient is fake.Client, kept here for programs written against the
// test kit's first version; new code imports juliarun/fake, which does not
// link the test cluster.
type FakeClient = fake.Client

// NewFakeClient returns fake.NewClient(namespace).
func NewFakeClient(namespace string) *FakeClient { return fake.NewClient(namespace) }
