#include <gtest/gtest.h>

#include <string>

#include "trawl/yara/yara.h"

namespace trawl::yara {
namespace {

using namespace std::string_literals;

std::string TypeOf(const std::string& head) {
  return FileType(reinterpret_cast<const std::uint8_t*>(head.data()), head.size());
}

TEST(FileTypeTest, Table) {
  struct Case {
    std::string head;
    const char* type;
  };
  const Case cases[] = {
      // LOKI's table (signature-base misc/file-type-signatures.txt).
      {"MZ\x90\x00\x03\x00"s, "EXE"},
      {"\x7F"
       "ELF\x02\x01\x01"s,
       "ELF"},
      {"MDMP\x93\xA7"s, "MDMP"},
      {"{\\rtf1\\ansi"s, "RTF"},
      {"PK\x03\x04\x0A\x00"s, "ZIP"},
      {"PK\x03\x04\x14\x00\x06\x00"s, "Office"},
      {"PK\x03\x04\x14\x00\x08\x00"s, "JAR"},
      {"%PDF-1.7"s, "PDF"},
      {"GIF89a"s, "GIF"},
      {"\xFF\xD8\xFF\xE0"s, "JPEG"},
      {"<?php echo 1; ?>"s, "PHP"},
      {"<% out.println(1); %>"s, "JSP"},
      {"\xFF\xFE<\x00%\x00@\x00"s, "JSP"},
      {"Function Foo()"s, "VBS"},
      {"#!/bin/sh\necho"s, "UNIX SCRIPT"},
      {"#! /bin/sh\n"s, "Script"},
      {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"s, "OLE"},
      {"\x1F\x8B\x08\x00"s, "GZIP"},
      {"Rar!\x1A\x07\x00"s, "RAR"},
      {"7z\xBC\xAF\x27\x1C"s, "7Zip"},
      {"CWS\x0A"s, "CWS"},  // listed twice in LOKI's file: the last name wins
      {"ZWS\x0A"s, "ZWS"},
      {"0\x00\x00\x00LfLe"s, "EVT"},
      {"ElfFile\x00"s, "EVTX"},
      {"regf\x01\x00"s, "Registry Hive"},
      {"L\x00\x00\x00\x01\x14\x02\x00"s, "LNK"},
      {"MSCF\x00\x00"s, "CAB"},
      {"\xCA\xFE\xBA\xBE\x00\x00\x00\x34"s, "Class"},  // Java class, major version 52
      {"\xE9\x00\x00"s, "SYS"},
      // Additions for names signature-base's rules test.
      {"\xFE\xED\xFA\xCE\x00"s, "MACH-O"},
      {"\xFE\xED\xFA\xCF\x00"s, "MACH-O"},
      {"\xCE\xFA\xED\xFE\x07"s, "MACH-O"},
      {"\xCF\xFA\xED\xFE\x07"s, "MACH-O"},
      {"\xCA\xFE\xBA\xBE\x00\x00\x00\x02"s, "MACH-O"},  // fat, 2 architectures
      {"\xCA\xFE\xBA\xBF\x00\x00\x00\x01"s, "MACH-O"},  // fat64
      {"\x89PNG\r\n\x1A\n\x00"s, "PNG"},
      {"#!/usr/bin/env python3\nimport os"s, "Python"},
      {"#!/usr/bin/python\n"s, "Python"},
      {"@echo off\r\nset x=1"s, "BATCH"},
      {"\xEF\xBB\xBF@ECHO OFF\r\n"s, "BATCH"},
      {"<?PHP system($_GET['c']);"s, "PHP"},
      {"<%@ Page Language=\"C#\" %>"s, "ASP"},
      {"<%@ Language=VBScript %>"s, "ASP"},
      {"<%@ page language=\"java\" import=\"java.io.*\" %>"s, "JSP"},
      {"<%@ page import=\"java.io.*\" %>"s, "JSP"},
      // Nothing known.
      {"hello world"s, "UNKNOWN"},
      {"\x00\x00\x00\x00"s, "UNKNOWN"},
      {"M"s, "UNKNOWN"},  // shorter than any signature it starts
      {""s, "UNKNOWN"},
  };
  for (const Case& c : cases) EXPECT_EQ(TypeOf(c.head), c.type) << c.head;
  EXPECT_EQ(FileType(nullptr, 0), "UNKNOWN");
}

TEST(FileTypeTest, ReadsOnlyTheHead) {
  // An ASP directive whose Language attribute is beyond the first 512 bytes
  // is LOKI's JSP.
  std::string head = "<%@ " + std::string(600, ' ') + "Language=\"C#\" %>";
  EXPECT_EQ(TypeOf(head), "JSP");
}

}  // namespace
}  // namespace trawl::yara
