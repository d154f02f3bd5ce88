"""One worker's runtime: users, spawning at a rate, and how users are shared out."""
