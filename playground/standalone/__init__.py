"""Programs that run without the playground: their source is what an export writes out."""
