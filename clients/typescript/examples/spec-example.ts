import { HarvestClient } from "@harvest-ai/sdk";

const client = new HarvestClient({
  apiKey: "hv_abc123...",
  baseUrl: "https://api.harvest.ai/v1",
});

// Generate content
const generation = await client.generate({
  format: "blog",
  input: "The future of AI...",
  options: {
    model: "gpt-4",
    tone: "professional",
  },
});

// Stream generation
const stream = await client.generateStream({
  format: "blog",
  input: "The future of AI...",
});

for await (const chunk of stream) {
  console.log(chunk.text);
}
