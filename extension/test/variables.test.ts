import { describe, expect, it } from "vitest";
import { dealVariables } from "../src/sidepanel/variables";

describe("an email template's values from the deal", () => {
  it("names the contact, the company, the deal and the rep as Baton's templates do", () => {
    const values = dealVariables(
      {
        contact_name: "Dana Whitfield",
        contact_title: "Chief Financial Officer",
        account_name: "Harbour Line Tunnelling",
        deal_name: "Harbour Line – Fieldline Mobile rollout",
        amount: 240000,
        currency: "USD",
        stage: "Decision",
      },
      { id: "u1", name: "Sam Okafor", email: "sam@example.com", role: "rep" },
    );
    expect(values).toMatchObject({
      first_name: "Dana",
      last_name: "Whitfield",
      company: "Harbour Line Tunnelling",
      deal_name: "Harbour Line – Fieldline Mobile rollout",
      amount: "$240,000",
      sender_name: "Sam Okafor",
      sender_first_name: "Sam",
      sender_email: "sam@example.com",
    });
  });

  it("leaves out what the page did not show, so the server asks for it", () => {
    expect(dealVariables({ contact_name: "  " }, null)).toEqual({});
  });
});
