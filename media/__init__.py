"""Media: resumable uploads, ffmpeg transcoding to phone-friendly HLS, durable jobs, storage
and serving, and the player. Built by the media issue."""
