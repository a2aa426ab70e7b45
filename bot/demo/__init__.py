"""The demo day: a seeded synthetic scenario of posts with injected incidents."""
