//! `/challenge N`: the challenge's goal and the list of its topics.

use crate::app::App;
use crate::guide::BlockKind;
use crate::reply::{Action, ButtonStyle, Reply};

use super::Invocation;
use super::hint::is_coach_only;

pub fn challenge(app: &App, invocation: &Invocation, number: i64) -> Reply {
    let knowledge = app.knowledge();
    let guide = &knowledge.guide;
    let numbers = guide.challenge_numbers();
    let section = u32::try_from(number).ok().and_then(|n| guide.challenge(n));
    let Some(section) = section else {
        let listed = numbers.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        return Reply::refusal(format!("There is no challenge {number} in the guide. The challenges are: {listed}."));
    };
    // Team members get the goal (the opening paragraphs); coaches get the whole intro.
    let blocks = section.steps();
    let goal: Vec<_> = if invocation.is_coach {
        blocks
    } else {
        blocks.into_iter().take_while(|b| b.kind == BlockKind::Paragraph).take(2).collect()
    };
    let mut body = crate::guide::join_blocks(goal);
    let topics: Vec<_> = guide
        .children(section)
        .filter(|child| invocation.is_coach || !is_coach_only(guide, child, &app.config.hints.coach_only))
        .collect();
    if !topics.is_empty() {
        body.push_str("\n\n**Topics:**\n");
        body.push_str(&topics.iter().map(|t| format!("- {}", t.heading())).collect::<Vec<_>>().join("\n"));
        body.push_str(&format!("\n\nAsk for one with `/hint challenge {number} <topic>`."));
    }
    let mut reply = Reply::new(section.display_path(), body.trim().to_string()).with_footer(section.document.clone());
    for topic in topics.iter().take(5) {
        reply = reply.with_button(topic.heading().to_string(), Action::Show(topic.id.clone()), ButtonStyle::Secondary);
    }
    reply.private = invocation.is_coach;
    reply
}
