// Every test must check something: a test that only "did not throw" passes whatever the code does.
// Jest then fails any test that ran no expect(); one whose check is "throws nothing" says so with
// expect(...).not.toThrow() or awaits expect(...).resolves.
beforeEach(() => {
  expect.hasAssertions();
});
