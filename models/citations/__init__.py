"""Citation counts from S2 and OpenAlex: dated observations, lookup ages, and the count rule."""
