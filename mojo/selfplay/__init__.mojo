"""Self-play: worker threads, integer queues, batch buffers shared with the network threads."""
