"""Generated assets on disk: the content-addressed cache and offline build manifests."""
