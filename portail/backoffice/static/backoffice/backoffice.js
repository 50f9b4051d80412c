/* Accessible names for the widgets Django's admin builds in JavaScript, which forget them
   (RGAA 11.1, 7.1): the autocomplete boxes (select2) take the label of their field, and the
   magnifier icons of the two-list selectors get the role their aria-label needs. The pages
   work without this file: it only completes what the scripts add. */
"use strict";
(function () {
  function labelFor(field) {
    if (!field.id) return null;
    const label = document.querySelector('label[for="' + CSS.escape(field.id) + '"]');
    if (label && !label.id) label.id = field.id + "-label";
    return label;
  }

  function nameAutocompletes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const container = select.nextElementSibling;
      const label = labelFor(select);
      if (!container || !container.classList.contains("select2") || !label) return;
      const combobox = container.querySelector('[role="combobox"]');
      const rendered = container.querySelector(".select2-selection__rendered");
      if (combobox) {
        const value = rendered && rendered.id ? " " + rendered.id : "";
        combobox.setAttribute("aria-labelledby", label.id + value);
      }
      // The chosen value, read as part of the box's name: not a text box of its own.
      if (rendered) {
        rendered.removeAttribute("role");
        rendered.removeAttribute("aria-readonly");
      }
    });
  }

  function nameSelectorIcons(root) {
    root.querySelectorAll(".search-label-icon[aria-label]").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function nameAll() {
    nameAutocompletes(document);
    nameSelectorIcons(document);
  }

  // Django builds the autocompletes once jQuery is ready, the selectors on load, and both
  // again in a row added to an inline: name them whenever the page's elements change.
  document.addEventListener("DOMContentLoaded", function () {
    nameAll();
    new MutationObserver(nameAll).observe(document.body, { childList: true, subtree: true });
  });
})();
