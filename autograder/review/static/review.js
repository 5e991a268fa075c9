// The review app's keyboard: rubric items 1-9, c comment, s or Ctrl+Enter save, j/k next/previous, n next to grade.
// The only script the pages load (their Content-Security-Policy allows no other): it never reads student content.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("grade-form");
  if (!form) return;
  const comment = document.getElementById("comment");
  const total = document.getElementById("total");
  const items = Array.from(form.querySelectorAll("input[name=item]"));
  let dirty = false;

  const recount = () => {
    if (!total) return;
    const sum = items.filter((box) => box.checked).reduce((acc, box) => acc + Number(box.dataset.points), 0);
    total.textContent = String(Math.min(Number(total.dataset.max), Math.max(0, sum)));
  };
  const follow = (id) => {
    const link = document.getElementById(id);
    if (link && (!dirty || window.confirm("Leave without saving this grade?"))) window.location = link.href;
  };

  form.addEventListener("input", () => { dirty = true; recount(); });
  form.addEventListener("submit", () => { dirty = false; });
  for (const button of form.querySelectorAll("button.reuse")) {
    button.addEventListener("click", () => {
      comment.value = comment.value ? `${comment.value}\n${button.dataset.comment}` : button.dataset.comment;
      dirty = true;
      comment.focus();
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    const typing = ["INPUT", "TEXTAREA"].includes(document.activeElement.tagName)
      && document.activeElement.type !== "checkbox";
    if (typing) {
      if (event.key === "Escape") document.activeElement.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const box = items.find((item) => item.dataset.key === event.key);
    if (box) {
      box.checked = !box.checked;
      dirty = true;
      recount();
    } else if (event.key === "c") {
      event.preventDefault();
      comment.focus();
    } else if (event.key === "s") {
      form.requestSubmit();
    } else if (event.key === "j") {
      follow("next");
    } else if (event.key === "k") {
      follow("previous");
    } else if (event.key === "n") {
      follow("next-waiting");
    }
  });
});
